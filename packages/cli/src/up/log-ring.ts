/** Keeps the last N lines of a child's output (for crash reports) while streaming all to a file. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** Splits chunks into lines, keeps the last `capacity`, and appends everything to `file`. */
export class LogRing {
  private readonly lines: string[] = [];
  private partial = '';
  private readonly out: WriteStream | undefined;

  constructor(
    private readonly capacity: number,
    file?: string,
  ) {
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      this.out = createWriteStream(file, { flags: 'a' });
    }
  }

  /** Feeds a chunk of output. */
  write(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    this.out?.write(chunk);
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.push(line);
  }

  /** Appends a line of our own (e.g. "exited with code 1"). */
  note(line: string): void {
    this.out?.write(`${line}\n`);
    this.push(line);
  }

  /** The last `n` lines (including an unterminated one). */
  tail(n = this.capacity): string[] {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-n);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    const out = this.out;
    return out ? new Promise((r) => out.end(() => r())) : Promise.resolve();
  }

  private push(line: string): void {
    if (line.length === 0) return;
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
  }
}
