import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { collect, svc } from './conformance.js';
import { MemoryFileStore } from './memory-file-store.js';

describe('MemoryFileStore journal', () => {
  let dir: string;
  let n = 0;
  const path = () => join(dir, `j-${++n}.jsonl`);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshwork-journal-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('each write is one journal line, so a multi-resource apply is atomic on disk', async () => {
    const file = path();
    const store = await MemoryFileStore.open({ path: file });
    await store.apply([svc('a'), svc('b'), svc('c')]);
    await store.delete('Service', 'default', 'a');
    await store.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 2);
    assert.equal(JSON.parse(lines[0]).ops.length, 3);
  });

  test('a torn last line is ignored with a warning, the rest loads, and later writes stay readable', async () => {
    const file = path();
    const first = await MemoryFileStore.open({ path: file });
    await first.apply([svc('a')]);
    await first.apply([svc('b')]);
    await first.close();
    // A crash in the middle of the third append leaves half a line.
    await appendFile(file, '{"revision":3,"ops":[{"op":"put","resource":{"apiVers');
    const warnings: string[] = [];
    const second = await MemoryFileStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /line 3: ignoring a torn or corrupt last entry/);
    assert.deepEqual(second.loadWarnings, warnings);
    assert.equal(second.revision(), 2);
    assert.deepEqual(
      (await second.list()).map((r) => r.metadata.name),
      ['a', 'b'],
    );
    await second.apply([svc('c')]);
    await second.close();
    const third = await MemoryFileStore.open({ path: file, onWarning: (m) => assert.fail(m) });
    assert.deepEqual(
      (await third.list()).map((r) => r.metadata.name),
      ['a', 'b', 'c'],
    );
    assert.equal(third.revision(), 3);
    await third.close();
  });

  test('a complete last line without its newline was never acknowledged and is dropped', async () => {
    const file = path();
    const store = await MemoryFileStore.open({ path: file });
    await store.apply([svc('a')]);
    await store.close();
    const line = (await readFile(file, 'utf8'))
      .trim()
      .replace('"revision":1', '"revision":2')
      .replace('"a"', '"z"');
    await appendFile(file, line);
    const reopened = await MemoryFileStore.open({ path: file, onWarning: () => {} });
    assert.equal(reopened.revision(), 1);
    assert.equal(reopened.loadWarnings.length, 1);
    await reopened.close();
  });

  test('a corrupt line in the middle is skipped with a warning and the journal is compacted', async () => {
    const file = path();
    const store = await MemoryFileStore.open({ path: file });
    await store.apply([svc('a')]);
    await store.close();
    await appendFile(file, 'garbage that is not json\n');
    const tail = await MemoryFileStore.open({ path: file, onWarning: () => {} });
    // The garbage sat at the end, so it was truncated; write a good line after a corrupt one by hand.
    await tail.close();
    const good = (await readFile(file, 'utf8')).trim();
    await writeFile(
      file,
      `${good}\nnot json\n${good.replace('"revision":1', '"revision":2').replace(/"name":"a"/g, '"name":"b"')}\n`,
    );
    const warnings: string[] = [];
    const reopened = await MemoryFileStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(warnings.length, 1);
    assert.match(warnings[0], /line 2: skipping a corrupt entry/);
    assert.deepEqual(
      (await reopened.list()).map((r) => r.metadata.name),
      ['a', 'b'],
    );
    await reopened.close();
    const compacted = (await readFile(file, 'utf8')).trim().split('\n');
    assert.equal(compacted.length, 1);
    assert.equal(JSON.parse(compacted[0]).snapshot, true);
  });

  test('a watcher older than the retained history gets a resync of current state', async () => {
    const store = await MemoryFileStore.open({ maxHistoryEvents: 2 });
    await store.apply([svc('a')]);
    await store.apply([svc('b')]);
    await store.apply([svc('c')]);
    await store.delete('Service', 'default', 'a');
    const w = collect(store, 1);
    const events = await w.until(2);
    assert.deepEqual(
      events.map((e) => [e.type, e.resource.metadata.name, e.revision]),
      [
        ['ADDED', 'b', 4],
        ['ADDED', 'c', 4],
      ],
    );
    w.stop();
    await store.close();
  });

  test('a listener that throws does not stop other listeners or the store', async () => {
    const warnings: string[] = [];
    const store = await MemoryFileStore.open({ onWarning: (m) => warnings.push(m) });
    store.watch(0, () => {
      throw new Error('boom');
    });
    const w = collect(store, 0);
    await store.apply([svc('a')]);
    await w.until(1);
    assert.match(warnings[0], /boom/);
    await store.close();
  });

  test('events handed to watchers are copies: mutating one does not touch the store', async () => {
    const store = await MemoryFileStore.open();
    store.watch(0, (e) => {
      e.resource.metadata.name = 'mutated';
    });
    await store.apply([svc('a')]);
    assert.ok(await store.get('Service', 'default', 'a'));
    await store.close();
  });
});
