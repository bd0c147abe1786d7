import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeTracker, percentile } from './change-tracker.js';

const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

function setup() {
  let nowMs = 1_000;
  const tracker = new ChangeTracker({ now: () => nowMs });
  return { tracker, advance: (ms: number) => (nowMs += ms) };
}

test('a change converges when every affected proxy ACKs every type it was sent', () => {
  const { tracker, advance } = setup();
  tracker.observe('7');
  assert.equal(tracker.report('7')?.state, 'debouncing');
  advance(50);
  tracker.pushed(
    [
      { nodeId: 'a', versions: new Map([[RDS, '3']]) },
      {
        nodeId: 'b',
        versions: new Map([
          [RDS, '3'],
          [LDS, '3'],
        ]),
      },
    ],
    3,
  );
  advance(5);
  tracker.delivered(['7']);
  advance(5);
  tracker.ack('a', RDS, '3');
  tracker.ack('b', RDS, '3');
  let r = tracker.report('7')!;
  assert.deepEqual(r.proxies, { total: 3, acked: 2, nacked: 0, pending: 1, unaffected: 1, disconnected: 0 });
  advance(20);
  tracker.ack('b', LDS, '3');
  r = tracker.report('7')!;
  assert.equal(r.state, 'pushed');
  assert.equal(r.pushDelayMs, 50);
  assert.equal(r.deliveredMs, 55);
  assert.deepEqual(r.proxies, { total: 3, acked: 3, nacked: 0, pending: 0, unaffected: 1, disconnected: 0 });
  assert.deepEqual(r.convergenceMs, { p50: 60, p90: 80, p99: 80, max: 80 });
});

test('an older version does not satisfy a change and a newer one does', () => {
  const { tracker } = setup();
  tracker.observe('1');
  tracker.pushed([{ nodeId: 'a', versions: new Map([[RDS, '5']]) }], 1);
  tracker.ack('a', RDS, '4');
  assert.equal(tracker.report('1')?.proxies.pending, 1);
  tracker.ack('a', RDS, '6');
  assert.equal(tracker.report('1')?.proxies.acked, 1);
});

test('a NACK is recorded with its error and the proxy stops being pending', () => {
  const { tracker } = setup();
  tracker.observe('2');
  tracker.pushed([{ nodeId: 'a', versions: new Map([[RDS, '9']]) }], 1);
  tracker.nack('a', RDS, '9', 'route: unknown cluster');
  const r = tracker.report('2')!;
  assert.deepEqual(r.proxies, { total: 1, acked: 0, nacked: 1, pending: 0, unaffected: 0, disconnected: 0 });
  assert.deepEqual(r.nacks, [{ node: 'a', typeUrl: RDS, version: '9', error: 'route: unknown cluster' }]);
});

test('a proxy that disconnects is no longer pending', () => {
  const { tracker } = setup();
  tracker.observe('3');
  tracker.pushed([{ nodeId: 'a', versions: new Map([[RDS, '1']]) }], 1);
  tracker.disconnected('a');
  assert.deepEqual(tracker.report('3')?.proxies.disconnected, 1);
  assert.deepEqual(tracker.report('3')?.proxies.pending, 0);
});

test('old changes are forgotten beyond capacity', () => {
  const tracker = new ChangeTracker({ capacity: 2 });
  tracker.observe('1');
  tracker.observe('2');
  tracker.observe('3');
  assert.equal(tracker.report('1'), undefined);
  assert.ok(tracker.report('3'));
});

test('percentiles use nearest rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile([], 99), 0);
});

test('proxies a newer push took over from stop being pending on the older change', () => {
  const { tracker } = setup();
  tracker.observe('4');
  tracker.pushed(
    [
      { nodeId: 'a', versions: new Map([[RDS, '1']]) },
      { nodeId: 'b', versions: new Map([[RDS, '1']]) },
    ],
    2,
  );
  tracker.ack('a', RDS, '1');
  tracker.superseded(['b'], ['4']);
  assert.deepEqual(tracker.report('4')?.proxies, {
    total: 2,
    acked: 2,
    nacked: 0,
    pending: 0,
    unaffected: 1,
    disconnected: 0,
  });
});
