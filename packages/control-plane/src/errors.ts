/**
 * The control plane's error catalogue. Every error carries a stable `code`; code branches on the
 * code, never on message text. `status` is the HTTP status the REST edge answers with; the store,
 * validator and registry never decide statuses themselves beyond this hint.
 */
export type ControlPlaneErrorCode =
  /** A resource document failed schema validation or cross-reference analysis (→ 400). */
  | 'MESH_ERR_CP_VALIDATION'
  /** A write named a stale `metadata.resourceVersion` (→ 409). */
  | 'MESH_ERR_CP_CONFLICT'
  /**
   * An apply was made conditional on a store view (`ApplyOptions.ifViewCurrent`) and something was
   * written since (→ 409; the API re-validates and retries it before answering).
   */
  | 'MESH_ERR_CP_STALE_VIEW'
  /** The named resource, instance or change does not exist (→ 404). */
  | 'MESH_ERR_CP_NOT_FOUND'
  /** The request itself is malformed: unparsable body, bad query parameter, unknown kind (→ 400). */
  | 'MESH_ERR_CP_BAD_REQUEST'
  /** The request body has a content type the endpoint does not accept (→ 415). */
  | 'MESH_ERR_CP_UNSUPPORTED_MEDIA_TYPE'
  /** The request body exceeds the configured limit (→ 413). */
  | 'MESH_ERR_CP_PAYLOAD_TOO_LARGE'
  /** No route serves this method and path (→ 404 / 405). */
  | 'MESH_ERR_CP_NO_ROUTE'
  /** The backing store (file or etcd) failed to read or write (→ 503). */
  | 'MESH_ERR_CP_STORE'
  /** The store was used after `close()` (→ 503). */
  | 'MESH_ERR_CP_STORE_CLOSED'
  /** A registry operation failed (owned by the registry; → status given at construction). */
  | 'MESH_ERR_CP_REGISTRY'
  /** Translation of resources to xDS failed. */
  | 'MESH_ERR_CP_TRANSLATE'
  /** The xDS server failed or a proxy sent an invalid request. */
  | 'MESH_ERR_CP_XDS'
  /** A client (the CLI) could not reach the control plane's REST API. */
  | 'MESH_ERR_CP_UNREACHABLE'
  /** An unexpected failure: a broken invariant (→ 500). */
  | 'MESH_ERR_CP_INTERNAL';

/** Default HTTP status of each code, used by the REST edge when the error does not carry one. */
export const defaultStatusByCode: Readonly<Record<ControlPlaneErrorCode, number>> = {
  MESH_ERR_CP_VALIDATION: 400,
  MESH_ERR_CP_CONFLICT: 409,
  MESH_ERR_CP_STALE_VIEW: 409,
  MESH_ERR_CP_NOT_FOUND: 404,
  MESH_ERR_CP_BAD_REQUEST: 400,
  MESH_ERR_CP_UNSUPPORTED_MEDIA_TYPE: 415,
  MESH_ERR_CP_PAYLOAD_TOO_LARGE: 413,
  MESH_ERR_CP_NO_ROUTE: 404,
  MESH_ERR_CP_STORE: 503,
  MESH_ERR_CP_STORE_CLOSED: 503,
  MESH_ERR_CP_REGISTRY: 400,
  MESH_ERR_CP_TRANSLATE: 500,
  MESH_ERR_CP_XDS: 500,
  MESH_ERR_CP_UNREACHABLE: 503,
  MESH_ERR_CP_INTERNAL: 500,
};

/** Base class of every error the control plane raises. */
export class ControlPlaneError extends Error {
  readonly code: ControlPlaneErrorCode;
  /** HTTP status the REST edge answers with; defaults to {@link defaultStatusByCode}. */
  readonly status: number;
  constructor(code: ControlPlaneErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ControlPlaneError';
    this.code = code;
    this.status = options?.status ?? defaultStatusByCode[code];
  }
}

/** One problem found in one document of an apply: which document, which field, and why. */
export interface ValidationIssue {
  /** The document, e.g. `doc 2 VirtualService/default/reviews` (index is 1-based). */
  document: string;
  /** Field path, JSON-pointer-ish with dots and brackets: `spec.http[0].route[1].weight`. */
  path: string;
  /** Why the value is wrong, in plain words. */
  reason: string;
}

/** A document (or a set of documents) was rejected; `errors` lists every problem found. */
export class ValidationError extends ControlPlaneError {
  readonly errors: ValidationIssue[];
  constructor(errors: ValidationIssue[], options?: { cause?: unknown }) {
    super('MESH_ERR_CP_VALIDATION', summarize(errors), options);
    this.name = 'ValidationError';
    this.errors = errors;
  }
}

function summarize(errors: ValidationIssue[]): string {
  if (errors.length === 0) return 'invalid resource';
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.document}: ${first.path || '(document)'}: ${first.reason}${more}`;
}

/** An apply made conditional on a store view (`ifViewCurrent`) found the store written since. */
export class StaleViewError extends ControlPlaneError {
  constructor(token: string, now: string | number) {
    super(
      'MESH_ERR_CP_STALE_VIEW',
      `the store changed after the view this apply was validated against (view ${token}, now ${now})`,
    );
    this.name = 'StaleViewError';
  }
}

/** A write carried a `resourceVersion` that is no longer current. */
export class ConflictError extends ControlPlaneError {
  constructor(
    readonly kind: string,
    readonly namespace: string,
    readonly resourceName: string,
    expected: string,
    actual: string | undefined,
  ) {
    super(
      'MESH_ERR_CP_CONFLICT',
      `${kind}/${namespace}/${resourceName}: resourceVersion ${expected} is stale (current: ${actual ?? 'absent'})`,
    );
    this.name = 'ConflictError';
  }
}

/** The named thing does not exist. */
export class NotFoundError extends ControlPlaneError {
  constructor(what: string) {
    super('MESH_ERR_CP_NOT_FOUND', `${what} not found`);
    this.name = 'NotFoundError';
  }
}

/** True when `err` is a {@link ControlPlaneError} with the given code. */
export function isControlPlaneError(err: unknown, code?: ControlPlaneErrorCode): err is ControlPlaneError {
  return err instanceof ControlPlaneError && (code === undefined || err.code === code);
}
