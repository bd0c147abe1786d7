/**
 * JSON access log: one line per request with Envoy's field vocabulary (`response_flags`,
 * `upstream_host`, `upstream_cluster`, `x_request_id`, …). Writes go through one stream per
 * path; stdout is shared.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

/** One access-log entry. */
export interface AccessLogEntry {
  start_time: string;
  method: string;
  path: string;
  protocol: string;
  response_code: number;
  response_flags: string;
  bytes_received: number;
  bytes_sent: number;
  duration_ms: number;
  upstream_service_time_ms: number | null;
  upstream_host: string | null;
  upstream_cluster: string | null;
  route_name: string | null;
  x_request_id: string | null;
  user_agent: string | null;
  authority: string;
  downstream_remote_address: string;
  attempts: number;
}

/** Receives finished entries. */
export interface AccessLogSink {
  write(entry: AccessLogEntry): void;
}

const streams = new Map<string, WriteStream | NodeJS.WriteStream>();

/** A sink writing JSON lines to `path` (`/dev/stdout` → process.stdout). */
export class FileAccessLog implements AccessLogSink {
  private readonly out: WriteStream | NodeJS.WriteStream;

  constructor(path: string) {
    let s = streams.get(path);
    if (s === undefined) {
      s = path === '/dev/stdout' ? process.stdout : createWriteStream(path, { flags: 'a' });
      streams.set(path, s);
    }
    this.out = s;
  }

  write(entry: AccessLogEntry): void {
    this.out.write(JSON.stringify(entry) + '\n');
  }
}

/** Collects entries in memory (tests, admin tooling). */
export class MemoryAccessLog implements AccessLogSink {
  readonly entries: AccessLogEntry[] = [];
  write(entry: AccessLogEntry): void {
    this.entries.push(entry);
  }
}

/** Closes the file streams opened by {@link FileAccessLog}. */
export function closeAccessLogs(): void {
  for (const [path, s] of streams) {
    if (path !== '/dev/stdout') (s as WriteStream).end();
  }
  streams.clear();
}
