/**
 * Minimal HTTP/1.1 requests over `node:http` for the orchestrator's own calls (readiness probes,
 * applying mesh config). `fetch` would load undici into the `meshwork up` process, which costs
 * more memory than everything else it does.
 */
import { request } from 'node:http';

/** A raw answer. */
export interface Answer {
  status: number;
  text: string;
}

/** Sends one request; rejects on network errors and after `timeoutMs` without an answer. */
export function httpCall(
  url: string,
  options: { method?: string; body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const req = request(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
