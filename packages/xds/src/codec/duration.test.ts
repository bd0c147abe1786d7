import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

test('parseDuration reads proto3 JSON durations as milliseconds', () => {
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('0.25s'), 250);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('0.000001s'), 0.001);
  assert.equal(parseDuration('-2.5s'), -2500);
});

test('parseDuration rejects what is not a duration, naming the path', () => {
  for (const bad of ['5', '5ms', '1.0000000001s', ' 1s', 's', '']) {
    assert.throws(() => parseDuration(bad, 'timeout'), {
      code: 'MESH_ERR_XDS_INVALID',
      message: `timeout: invalid duration ${JSON.stringify(bad)}`,
    });
  }
});

test('formatDuration writes the shortest exact form', () => {
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(250), '0.25s');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(30_000), '30s');
  assert.equal(formatDuration(0.5), '0.0005s');
  assert.equal(formatDuration(-1500), '-1.5s');
  assert.equal(formatDuration(999.9999999), '1s');
});

test('formatDuration and parseDuration are inverses', () => {
  for (const ms of [1, 10, 123, 1000, 86_400_000, 0.001]) assert.equal(parseDuration(formatDuration(ms)), ms);
});
