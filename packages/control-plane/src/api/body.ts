/**
 * Request bodies: size-limited, decoded by content type. JSON is parsed; YAML and plain text are
 * returned as text for the route to parse (YAML documents keep their indices that way).
 */
import type { IncomingMessage } from 'node:http';
import { ControlPlaneError } from '../errors.js';

const JSON_TYPES = new Set(['application/json', 'application/merge-patch+json']);
const TEXT_TYPES = new Set([
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'text/plain',
]);

/** The media type of a request without parameters, lower-cased; `''` when absent. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** True when the body is YAML or text (as opposed to JSON). */
export function isTextBody(req: IncomingMessage): boolean {
  return TEXT_TYPES.has(mediaType(req));
}

/** Reads the body; see {@link RouteContext.body}. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const type = mediaType(req);
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const text = await readText(req, limitBytes);
  if (text.length === 0) return undefined;
  if (JSON_TYPES.has(type)) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ControlPlaneError(
        'MESH_ERR_CP_BAD_REQUEST',
        `request body is not valid JSON: ${(err as Error).message}`,
      );
    }
  }
  if (TEXT_TYPES.has(type)) return text;
  throw new ControlPlaneError(
    'MESH_ERR_CP_UNSUPPORTED_MEDIA_TYPE',
    `content type "${type || '(none)'}" is not accepted; send application/json or application/yaml`,
  );
}

function tooLarge(limitBytes: number): ControlPlaneError {
  return new ControlPlaneError('MESH_ERR_CP_PAYLOAD_TOO_LARGE', `request body exceeds ${limitBytes} bytes`);
}

function readText(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off('data', onData);
        // Stop reading but let the response go out; the connection is closed after it.
        req.resume();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', (err) =>
      reject(
        new ControlPlaneError('MESH_ERR_CP_BAD_REQUEST', 'request body could not be read', { cause: err }),
      ),
    );
  });
}
