#!/usr/bin/env node
// Runs every *.test.ts under the given directories (default: all workspaces) on Node's
// built-in test runner. Sources run through tsx with the "development" export condition,
// so workspace packages resolve to their TypeScript sources and no build is needed.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const passThrough = args.filter((a) => a.startsWith('--'));
const targets = args.filter((a) => !a.startsWith('--'));
const roots = targets.length > 0 ? targets.map((t) => resolve(process.cwd(), t)) : defaultRoots();

function defaultRoots() {
  const out = [];
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group))) out.push(join(root, group, name));
  }
  return out;
}

function collect(path, out) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return;
  }
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    collect(join(path, entry), out);
  }
}

const files = [];
for (const r of roots) collect(r, files);
files.sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.map((r) => relative(root, r) || '.').join(', ')}`);
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  [
    '--conditions=development',
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=120000',
    ...passThrough,
    ...files.map((f) => relative(process.cwd(), f)),
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' } },
);
process.exit(result.status ?? 1);
