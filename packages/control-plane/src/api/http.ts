/**
 * Response helpers shared by every route: JSON bodies and RFC 9457 problem details. The HTTP
 * status of an error is decided here, at the edge, from its code.
 */
import type { ServerResponse } from 'node:http';
import { ControlPlaneError, type ControlPlaneErrorCode, ValidationError } from '../errors.js';

/** An RFC 9457 problem document, with Meshwork's `code` and validation `errors` extensions. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ControlPlaneErrorCode;
  errors?: { document: string; path: string; reason: string }[];
}

const TITLES: Partial<Record<ControlPlaneErrorCode, string>> = {
  MESH_ERR_CP_VALIDATION: 'Invalid resource',
  MESH_ERR_CP_CONFLICT: 'Conflict',
  MESH_ERR_CP_STALE_VIEW: 'Conflict',
  MESH_ERR_CP_NOT_FOUND: 'Not found',
  MESH_ERR_CP_BAD_REQUEST: 'Bad request',
  MESH_ERR_CP_UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  MESH_ERR_CP_PAYLOAD_TOO_LARGE: 'Payload too large',
  MESH_ERR_CP_NO_ROUTE: 'No such endpoint',
  MESH_ERR_CP_STORE: 'Store unavailable',
  MESH_ERR_CP_STORE_CLOSED: 'Store unavailable',
  MESH_ERR_CP_INTERNAL: 'Internal error',
};

/** Problem `type` URI of a code: `https://meshwork.dev/problems/mesh-err-cp-conflict`. */
export function problemType(code: ControlPlaneErrorCode): string {
  return `https://meshwork.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

/** Builds the problem document for an error; unexpected errors become an opaque 500. */
export function toProblem(err: unknown): Problem {
  if (!(err instanceof ControlPlaneError)) {
    return {
      type: problemType('MESH_ERR_CP_INTERNAL'),
      title: 'Internal error',
      status: 500,
      detail: 'an unexpected error occurred; see the control-plane log',
      code: 'MESH_ERR_CP_INTERNAL',
    };
  }
  const problem: Problem = {
    type: problemType(err.code),
    title: TITLES[err.code] ?? err.code,
    status: err.status,
    detail: err.message,
    code: err.code,
  };
  if (err instanceof ValidationError) problem.errors = err.errors;
  return problem;
}

/** Sends `body` as JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/**
 * Sends an error as `application/problem+json`. Errors that are not `ControlPlaneError`s are
 * logged via `log` (they are bugs) and answered with a generic 500.
 */
export function sendProblem(
  res: ServerResponse,
  err: unknown,
  log: (message: string, err: unknown) => void = (m, e) => console.error(m, e),
  headers: Record<string, string> = {},
): void {
  const problem = toProblem(err);
  if (problem.code === 'MESH_ERR_CP_INTERNAL') log('meshwork api: unhandled error', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = JSON.stringify(problem);
  res.writeHead(problem.status, {
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}
