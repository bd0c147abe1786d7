/**
 * A minimal HTTP/1.1 JSON request over `node:http`, for the runtime's own control-plane calls.
 * It avoids loading an HTTP client library into every service process (each costs megabytes of
 * RSS, and a machine runs dozens of these processes).
 */
import { request } from 'node:http';

/** A raw answer. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Sends one request; rejects on network errors, timeout or abort. */
export function httpRequest(
  url: string,
  options: { method?: string; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
        timeout: options.timeoutMs,
        signal: options.signal,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
