/**
 * The append-only JSON-lines journal behind `MemoryFileStore`. One line per committed write (an
 * apply of any number of resources, or a delete), so a crash can lose at most the last write,
 * never half of one. Each append is followed by `fdatasync` before the write is acknowledged:
 * a returned change id is on disk.
 *
 * Loading tolerates a torn or corrupt tail (a crash mid-append): the line is skipped with a
 * warning and the file is truncated to the last good line, so later appends stay readable. A
 * corrupt line in the middle is skipped with a warning and the journal is rewritten as a snapshot.
 */
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ControlPlaneError } from '../errors.js';
import type { StoredResource } from '../resources/resource.js';

/** One operation of a journal entry. */
export type JournalOp =
  | { op: 'put'; resource: StoredResource }
  | { op: 'delete'; kind: string; namespace: string; name: string };

/** One line of the journal. A `snapshot` entry replaces all state before it. */
export interface JournalEntry {
  revision: number;
  ops: JournalOp[];
  snapshot?: boolean;
}

/** What loading found. */
export interface JournalContents {
  entries: JournalEntry[];
  warnings: string[];
  /** True when a corrupt line sat before the end, so the caller should compact. */
  corruptMiddle: boolean;
}

/** An open journal file. */
export class Journal {
  #sizeBytes: number;

  private constructor(
    readonly path: string,
    private handle: FileHandle,
    sizeBytes: number,
  ) {
    this.#sizeBytes = sizeBytes;
  }

  /** Reads the journal (creating it if absent) and opens it for appending. */
  static async open(path: string): Promise<{ journal: Journal; contents: JournalContents }> {
    await mkdir(dirname(path), { recursive: true });
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw new ControlPlaneError('MESH_ERR_CP_STORE', `cannot read store file ${path}`, { cause: err });
    });
    const { contents, goodBytes } = parseJournal(text, path);
    const handle = await open(path, 'a');
    if (goodBytes < Buffer.byteLength(text)) await handle.truncate(goodBytes);
    // A new file's directory entry must reach the disk too, or a crash can lose the whole file.
    if (text === '') await syncDirectory(path);
    return { journal: new Journal(path, handle, goodBytes), contents };
  }

  /** Appends one entry and syncs it to disk; on failure the file is cut back to its old size. */
  async append(entry: JournalEntry): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    try {
      await this.handle.write(line);
      await this.handle.datasync();
      this.#sizeBytes += line.length;
    } catch (err) {
      await this.handle.truncate(this.#sizeBytes).catch(() => {});
      throw new ControlPlaneError('MESH_ERR_CP_STORE', `cannot write store file ${this.path}`, {
        cause: err,
      });
    }
  }

  /** Atomically replaces the journal with one snapshot entry (write temp, sync, rename). */
  async compact(snapshot: JournalEntry): Promise<void> {
    const tmp = `${this.path}.compact`;
    const line = Buffer.from(`${JSON.stringify({ ...snapshot, snapshot: true })}\n`);
    const fh = await open(tmp, 'w');
    try {
      await fh.write(line);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.handle.close();
    await rename(tmp, this.path);
    await syncDirectory(this.path);
    this.handle = await open(this.path, 'a');
    this.#sizeBytes = line.length;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } catch {
    // Some file systems cannot sync a directory; the data itself is still synced.
  } finally {
    await dir.close();
  }
}

function parseJournal(text: string, path: string): { contents: JournalContents; goodBytes: number } {
  const entries: JournalEntry[] = [];
  const warnings: string[] = [];
  let corruptMiddle = false;
  let offset = 0;
  let goodBytes = 0;
  let lastRevision = 0;
  const lines = text.split('\n');
  let lastContent = lines.length - 1;
  while (lastContent >= 0 && lines[lastContent].trim() === '') lastContent--;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const isLast = i >= lastContent;
    offset += Buffer.byteLength(line) + (i < lines.length - 1 ? 1 : 0);
    if (line.trim() === '') {
      if (!isLast) goodBytes = offset;
      continue;
    }
    const entry = parseEntry(line);
    if (entry && entry.revision > lastRevision && i < lines.length - 1) {
      entries.push(entry);
      lastRevision = entry.revision;
      goodBytes = offset;
      continue;
    }
    if (isLast) {
      warnings.push(`${path}: line ${i + 1}: ignoring a torn or corrupt last entry (${line.length} bytes)`);
      break;
    }
    corruptMiddle = true;
    warnings.push(`${path}: line ${i + 1}: skipping a corrupt entry`);
  }
  return { contents: { entries, warnings, corruptMiddle }, goodBytes };
}

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const value = JSON.parse(line) as JournalEntry;
    if (typeof value?.revision !== 'number' || !Array.isArray(value.ops)) return undefined;
    return value;
  } catch {
    return undefined;
  }
}
