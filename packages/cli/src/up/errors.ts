/** Error catalogue of `meshwork up`: stable codes, messages that name what and where. */

/** Base class: a stable machine `code` plus `cause`. */
export class MeshError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The system spec (mesh.yaml) is invalid; `path` says where. */
export class SpecError extends MeshError {
  constructor(
    readonly file: string,
    readonly path: string,
    reason: string,
  ) {
    super('MESH_ERR_UP_SPEC', `${file}: ${path || '(root)'}: ${reason}`);
  }
}

/** A fixed port is already taken. */
export class PortInUseError extends MeshError {
  constructor(
    readonly port: number,
    what: string,
  ) {
    super(
      'MESH_ERR_PORT_IN_USE',
      `port ${port} (${what}) is already in use; stop what holds it or choose another port`,
    );
  }
}

/** A component did not become ready in time. */
export class NotReadyError extends MeshError {
  constructor(
    readonly component: string,
    timeoutMs: number,
    readonly lastLines: string[],
  ) {
    super('MESH_ERR_NOT_READY', `${component} was not ready within ${timeoutMs} ms`);
  }
}
