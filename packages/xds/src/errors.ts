/**
 * The xDS package's error catalogue. Every error carries a stable `code`; callers branch on the
 * code, never on message text.
 */
export type XdsErrorCode =
  /** A resource or config document does not match its proto schema (unknown field, bad value). */
  | 'MESH_ERR_XDS_INVALID'
  /** A type name or type URL names no loaded proto message. */
  | 'MESH_ERR_XDS_UNKNOWN_TYPE'
  /** The Envoy/xDS proto files could not be found or parsed. */
  | 'MESH_ERR_XDS_PROTO_LOAD'
  /** A snapshot handed to the ADS server is malformed (duplicate or mismatched names, bad type URL). */
  | 'MESH_ERR_XDS_SNAPSHOT'
  /** The ADS client or server was used after `close()`. */
  | 'MESH_ERR_XDS_CLOSED'
  /** An API was used out of order (e.g. `listen()` twice). */
  | 'MESH_ERR_XDS_MISUSE';

/** Base class of every error the xDS package raises. */
export class XdsError extends Error {
  readonly code: XdsErrorCode;
  constructor(code: XdsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XdsError';
    this.code = code;
  }
}

/**
 * A value does not fit its proto schema. `path` names the offending field the way Envoy configs
 * are written (`static_resources.clusters[0].connect_timeout`); the message starts with it.
 */
export class XdsCodecError extends XdsError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('MESH_ERR_XDS_INVALID', path ? `${path}: ${message}` : message, options);
    this.name = 'XdsCodecError';
    this.path = path;
  }
}

/** A type name or type URL that no loaded proto defines. */
export class XdsUnknownTypeError extends XdsError {
  readonly typeName: string;
  constructor(typeName: string, path = '') {
    super('MESH_ERR_XDS_UNKNOWN_TYPE', `${path ? `${path}: ` : ''}unknown type "${typeName}"`);
    this.name = 'XdsUnknownTypeError';
    this.typeName = typeName;
  }
}
