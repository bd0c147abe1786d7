/**
 * Reading manifests from the file system for `meshwork apply -f` and `meshwork check -f`: files,
 * directories (their `.yaml`, `.yml` and `.json` files, sorted, not recursive) and `-` for stdin.
 * Every document keeps its file and its index within that file, so errors read
 * `canary.yaml:doc 2 VirtualService/default/reviews: spec.http[0]…: reason`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidationIssue } from '../errors.js';
import { parseDocuments, type SourceDocument } from './documents.js';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Documents read from files, and the syntax or I/O errors met on the way. */
export interface LoadedManifests {
  documents: SourceDocument[];
  errors: ValidationIssue[];
}

/** Expands directories into their manifest files. */
async function expand(path: string): Promise<string[]> {
  if (path === '-') return ['-'];
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => MANIFEST_EXTENSIONS.some((e) => n.endsWith(e))).sort();
  return names.map((n) => join(path, n));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Loads every document from the given paths; unreadable paths become errors naming them. */
export async function loadManifests(paths: readonly string[]): Promise<LoadedManifests> {
  const documents: SourceDocument[] = [];
  const errors: ValidationIssue[] = [];
  for (const p of paths) {
    let files: string[];
    try {
      files = await expand(p);
    } catch (err) {
      errors.push({
        document: p,
        path: '',
        reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`,
      });
      continue;
    }
    for (const file of files) {
      const source = file === '-' ? '<stdin>' : file;
      const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      const parsed = parseDocuments(text, source);
      documents.push(...parsed.documents);
      errors.push(...parsed.errors);
    }
  }
  return { documents, errors };
}
