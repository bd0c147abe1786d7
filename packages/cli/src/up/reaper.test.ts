import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { isOurs, OWNER_ENV, reapLeftovers } from './reaper.js';

const sleeper = (env: Record<string, string>) =>
  spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    env: { ...env, PATH: process.env.PATH },
    detached: true,
    stdio: 'ignore',
  });

test('only processes marked as children of this state dir are reaped', async () => {
  const ours = sleeper({ [OWNER_ENV]: '/state/a/data' });
  const other = sleeper({ [OWNER_ENV]: '/state/b/data' });
  const exited = new Promise((r) => ours.once('exit', r));
  try {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(isOurs(ours.pid!, '/state/a/data'), true);
    assert.equal(isOurs(other.pid!, '/state/a/data'), false);
    const reaped = await reapLeftovers([ours.pid!, other.pid!, 999_999_999], '/state/a/data', 2000);
    assert.deepEqual(reaped, [ours.pid]);
    await exited;
    assert.equal(other.exitCode, null, 'the unmarked process is untouched');
  } finally {
    other.kill('SIGKILL');
    ours.kill('SIGKILL');
  }
});
