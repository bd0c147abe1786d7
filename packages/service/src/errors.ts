/**
 * The error catalogue of `@meshwork/service`. Every error carries a stable `code`; callers branch
 * on the code, never on the message text. HTTP status is decided at the edge (the router).
 */

/** Base class of every Meshwork error: a stable machine `code` plus `cause` chaining. */
export class MeshError extends Error {
  /** Stable machine-readable code, e.g. `MESH_ERR_NOT_FOUND`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One validation problem, in the shape of an RFC 9457 `errors[]` entry. */
export interface ProblemEntry {
  /** Where the problem is (a JSON pointer or dotted path into the request body). */
  path: string;
  /** What is wrong there. */
  reason: string;
}

/** An error an HTTP handler throws to answer with `application/problem+json`. */
export class HttpError extends MeshError {
  /** HTTP status code of the answer. */
  readonly status: number;
  /** Short, human title for the problem type. */
  readonly title: string;
  /** Individual problems (validation). */
  readonly errors: ProblemEntry[] | undefined;

  constructor(
    status: number,
    code: string,
    detail: string,
    options?: { title?: string; errors?: ProblemEntry[]; cause?: unknown },
  ) {
    super(code, detail, options);
    this.status = status;
    this.title = options?.title ?? defaultTitle(status);
    this.errors = options?.errors;
  }
}

function defaultTitle(status: number): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 404:
      return 'Not Found';
    case 405:
      return 'Method Not Allowed';
    case 409:
      return 'Conflict';
    case 413:
      return 'Payload Too Large';
    case 422:
      return 'Unprocessable Content';
    case 502:
      return 'Bad Gateway';
    case 503:
      return 'Service Unavailable';
    default:
      return status >= 500 ? 'Internal Server Error' : 'Error';
  }
}

/** 400: the request is malformed; `errors` names each bad field. */
export class BadRequestError extends HttpError {
  constructor(detail: string, errors?: ProblemEntry[]) {
    super(400, 'MESH_ERR_BAD_REQUEST', detail, { errors });
  }
}

/** 404: the addressed thing does not exist. */
export class NotFoundError extends HttpError {
  constructor(detail: string) {
    super(404, 'MESH_ERR_NOT_FOUND', detail);
  }
}

/** 409: the request conflicts with current state (e.g. an idempotency key reused with another body). */
export class ConflictError extends HttpError {
  constructor(detail: string) {
    super(409, 'MESH_ERR_CONFLICT', detail);
  }
}

/** 422: the request is well-formed but the business rules reject it. */
export class UnprocessableError extends HttpError {
  constructor(code: string, detail: string) {
    super(422, code, detail);
  }
}

/** An upstream call failed to produce any response (connect error, reset, timeout, no endpoints). */
export class UpstreamUnavailableError extends MeshError {
  /** The logical service that was called. */
  readonly service: string;

  /**
   * True when repeating the request cannot do harm: it never reached an app (connection
   * refused), or it is idempotent (GET, PUT, DELETE, or carries an `Idempotency-Key`).
   */
  readonly safeToRetry: boolean;

  constructor(service: string, detail: string, options?: { cause?: unknown; safeToRetry?: boolean }) {
    super('MESH_ERR_UPSTREAM_UNAVAILABLE', `${service}: ${detail}`, options);
    this.service = service;
    this.safeToRetry = options?.safeToRetry ?? false;
  }
}

/** An upstream answered with a non-2xx status; `problem` holds its problem+json body when it sent one. */
export class UpstreamStatusError extends MeshError {
  /** The logical service that was called. */
  readonly service: string;
  /** The status the upstream answered with. */
  readonly status: number;
  /** The decoded response body (problem+json or other JSON), if any. */
  readonly problem: unknown;
  /** True when the request is idempotent, so a retry after a 502/503/504 cannot act twice. */
  readonly safeToRetry: boolean;

  constructor(service: string, status: number, problem: unknown, safeToRetry = false) {
    const detail =
      problem && typeof problem === 'object' && 'detail' in problem
        ? String(problem.detail)
        : `status ${status}`;
    super('MESH_ERR_UPSTREAM_STATUS', `${service} answered ${status}: ${detail}`);
    this.service = service;
    this.status = status;
    this.problem = problem;
    this.safeToRetry = safeToRetry;
  }
}

/**
 * The request being handled has no time left (its caller's deadline passed): an outbound call is
 * not attempted. Not an upstream failure — breakers do not count it, retries do not repeat it.
 */
export class DeadlineExceededError extends MeshError {
  constructor(detail: string) {
    super('MESH_ERR_DEADLINE_EXCEEDED', detail);
  }
}

/** Configuration given to the runtime is invalid; the message names the field. */
export class InvalidConfigError extends MeshError {
  constructor(detail: string) {
    super('MESH_ERR_INVALID_CONFIG', detail);
  }
}

/** A health indicator did not answer within its timeout. */
export class HealthTimeoutError extends MeshError {
  constructor(indicator: string, timeoutMs: number) {
    super('MESH_ERR_HEALTH_TIMEOUT', `health indicator "${indicator}" did not answer within ${timeoutMs} ms`);
  }
}

/** The control plane refused or failed a registry call. */
export class RegistryError extends MeshError {
  /** HTTP status from the control plane, 0 when it could not be reached. */
  readonly status: number;

  constructor(detail: string, status: number, options?: { cause?: unknown }) {
    super('MESH_ERR_REGISTRY', detail, options);
    this.status = status;
  }
}
