import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from './clock.js';
import type { UpstreamHost } from './host.js';
import { makeHosts } from './load-balancers/test-support.js';
import {
  compileOutlierDetection,
  DEFAULT_OUTLIER_DETECTION,
  type OutlierDetectionSettings,
} from './outlier-detection-config.js';
import { type EjectionType, OutlierDetector } from './outlier-detector.js';

/** The seed's DestinationRule: consecutive5xxErrors 5, interval 30s, baseEjectionTime 30s, maxEjectionPercent 50. */
const seedRule = compileOutlierDetection('outlier_detection', {
  consecutive_5xx: 5,
  interval: '30s',
  base_ejection_time: '30s',
  max_ejection_percent: 50,
});

function setup(settings: OutlierDetectionSettings, hostCount = 4, random = () => 0) {
  const clock = new ManualClock();
  const events: string[] = [];
  const hosts = makeHosts(hostCount);
  const detector = new OutlierDetector(settings, clock, random, {
    onEject: (h: UpstreamHost, type: EjectionType, ms: number) => events.push(`eject ${h.key} ${type} ${ms}`),
    onUneject: (h: UpstreamHost) => events.push(`uneject ${h.key}`),
  });
  detector.setHosts(hosts);
  const fail = (h: UpstreamHost, n: number, status = 500) => {
    for (let i = 0; i < n; i++) detector.report(h, { kind: 'response', status });
  };
  return { clock, events, hosts, detector, fail };
}

describe('OutlierDetector', () => {
  test('five consecutive 5xx eject the host at once, four do not', () => {
    const { hosts, detector, fail, events } = setup(seedRule);
    fail(hosts[0], 4);
    assert.equal(hosts[0].ejected, false);
    fail(hosts[0], 1);
    assert.equal(hosts[0].ejected, true);
    assert.deepEqual(events, ['eject 10.0.0.1:8080 consecutive_5xx 30000']);
    assert.equal(detector.stats.ejectionsActive, 1);
    assert.equal(detector.stats.enforced.consecutive_5xx, 1);
  });

  test('a success in between resets the consecutive count', () => {
    const { hosts, detector, fail } = setup(seedRule);
    fail(hosts[0], 4);
    detector.report(hosts[0], { kind: 'response', status: 200 });
    fail(hosts[0], 4);
    assert.equal(hosts[0].ejected, false);
  });

  test('connect failures, resets and timeouts count as 5xx in the default mode', () => {
    const { hosts, detector } = setup(seedRule);
    detector.report(hosts[1], { kind: 'connect-failure' });
    detector.report(hosts[1], { kind: 'reset' });
    detector.report(hosts[1], { kind: 'timeout' });
    detector.report(hosts[1], { kind: 'connect-failure' });
    detector.report(hosts[1], { kind: 'response', status: 503 });
    assert.equal(hosts[1].ejected, true);
  });

  test('the host comes back on the first interval tick after base_ejection_time', () => {
    const { hosts, clock, fail, events } = setup(seedRule);
    clock.advance(5_000);
    fail(hosts[0], 5);
    clock.advance(25_000); // tick at 30 s: ejected only 25 s ago
    assert.equal(hosts[0].ejected, true);
    clock.advance(30_000); // tick at 60 s
    assert.equal(hosts[0].ejected, false);
    assert.equal(events.at(-1), 'uneject 10.0.0.1:8080');
  });

  test('max_ejection_percent 50 never ejects more than half the hosts', () => {
    const { hosts, detector, fail } = setup(seedRule, 4);
    for (const h of hosts) fail(h, 5);
    assert.equal(hosts.filter((h) => h.ejected).length, 2);
    assert.equal(detector.stats.ejectionsOverflow, 2);
  });

  test('with the default 10% a small cluster ejects nothing unless always_eject_one_host', () => {
    const strict = setup(DEFAULT_OUTLIER_DETECTION, 3);
    strict.fail(strict.hosts[0], 5);
    assert.equal(strict.hosts[0].ejected, false);
    const lenient = setup({ ...DEFAULT_OUTLIER_DETECTION, alwaysEjectOneHost: true }, 3);
    lenient.fail(lenient.hosts[0], 5);
    lenient.fail(lenient.hosts[1], 5);
    assert.deepEqual(
      lenient.hosts.map((h) => h.ejected),
      [true, false, false],
    );
  });

  test('each repeated ejection lasts base × times ejected, capped by max_ejection_time', () => {
    const settings = {
      ...seedRule,
      intervalMs: 10_000,
      baseEjectionTimeMs: 10_000,
      maxEjectionTimeMs: 25_000,
    };
    const { hosts, clock, fail, events } = setup(settings, 2);
    const durations: number[] = [];
    for (let round = 0; round < 4; round++) {
      fail(hosts[0], 5);
      durations.push(Number(events.at(-1)!.split(' ').at(-1)));
      while (hosts[0].ejected) clock.advance(10_000);
    }
    assert.deepEqual(durations, [10_000, 20_000, 25_000, 25_000]);
  });

  test('the back-off decays by one per healthy interval', () => {
    const settings = { ...seedRule, intervalMs: 10_000, baseEjectionTimeMs: 10_000 };
    const { hosts, clock, fail, events } = setup(settings, 2);
    fail(hosts[0], 5);
    clock.advance(10_000);
    fail(hosts[0], 5);
    clock.advance(20_000);
    assert.equal(hosts[0].outlier.ejectTimeBackoff, 2);
    clock.advance(20_000); // two healthy intervals
    assert.equal(hosts[0].outlier.ejectTimeBackoff, 0);
    fail(hosts[0], 5);
    assert.match(events.at(-1)!, / 10000$/);
  });

  test('gateway-failure detection is off by default and ejects when enforced', () => {
    const off = setup({ ...seedRule, consecutive5xx: 100 });
    off.fail(off.hosts[0], 5, 502);
    assert.equal(off.hosts[0].ejected, false);
    assert.equal(off.detector.stats.detected.consecutive_gateway_failure, 1);
    const on = setup({ ...seedRule, consecutive5xx: 100, enforcingConsecutiveGatewayFailure: 100 });
    on.fail(on.hosts[0], 4, 504);
    on.fail(on.hosts[0], 1, 500); // a non-gateway 5xx breaks the gateway streak
    on.fail(on.hosts[0], 4, 503);
    assert.equal(on.hosts[0].ejected, false);
    on.fail(on.hosts[0], 1, 503);
    assert.equal(on.hosts[0].ejected, true);
  });

  test('enforcing_consecutive_5xx rolls the dice', () => {
    const { hosts, fail, detector } = setup({ ...seedRule, enforcingConsecutive5xx: 30 }, 4, () => 0.5);
    fail(hosts[0], 5);
    assert.equal(hosts[0].ejected, false);
    assert.equal(detector.stats.detected.consecutive_5xx, 1);
  });

  test('success-rate ejection removes the outlier at the interval tick', () => {
    const settings = { ...seedRule, consecutive5xx: 1000, maxEjectionPercent: 100 };
    const { hosts, clock, detector } = setup(settings, 6);
    for (const [i, h] of hosts.entries()) {
      for (let r = 0; r < 200; r++) {
        const failed = i === 5 ? r % 2 === 0 : r % 50 === 0; // 50% vs 98% success
        detector.report(h, { kind: 'response', status: failed ? 500 : 200 });
      }
    }
    clock.advance(30_000);
    assert.deepEqual(
      hosts.map((h) => h.ejected),
      [false, false, false, false, false, true],
    );
    assert.equal(detector.stats.enforced.success_rate, 1);
  });

  test('success-rate ejection needs success_rate_minimum_hosts with enough volume', () => {
    const settings = { ...seedRule, consecutive5xx: 1000, maxEjectionPercent: 100 };
    const { hosts, clock, detector } = setup(settings, 6);
    for (const [i, h] of hosts.entries()) {
      const volume = i < 2 ? 50 : 200; // two hosts below success_rate_request_volume → 4 eligible < 5
      for (let r = 0; r < volume; r++) detector.report(h, { kind: 'response', status: i === 5 ? 500 : 200 });
    }
    clock.advance(30_000);
    assert.equal(hosts[5].ejected, false);
  });

  test('failure-percentage ejection applies when enforced', () => {
    const settings = {
      ...seedRule,
      consecutive5xx: 1000,
      maxEjectionPercent: 100,
      enforcingFailurePercentage: 100,
    };
    const { hosts, clock, detector } = setup(settings, 5);
    for (const [i, h] of hosts.entries()) {
      for (let r = 0; r < 60; r++)
        detector.report(h, { kind: 'response', status: i === 0 && r % 10 ? 500 : 200 });
    }
    clock.advance(30_000);
    assert.equal(hosts[0].ejected, true);
    assert.equal(detector.stats.enforced.failure_percentage, 1);
  });

  test('split mode counts local-origin failures on their own', () => {
    const settings = { ...seedRule, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailure: 3 };
    const { hosts, detector } = setup(settings);
    for (let i = 0; i < 3; i++) detector.report(hosts[0], { kind: 'connect-failure' });
    assert.equal(hosts[0].ejected, true);
    assert.equal(detector.stats.enforced.consecutive_local_origin_failure, 1);
    assert.equal(hosts[0].outlier.consecutive5xx, 0);
    assert.equal(hosts[0].outlier.windowRequests, 0, 'local-origin errors stay out of the success rate');
  });

  test('split mode: a host whose connections keep failing is ejected by local-origin success rate', () => {
    const settings = {
      ...seedRule,
      splitExternalLocalOriginErrors: true,
      consecutiveLocalOriginFailure: 1000,
      consecutive5xx: 1000,
      maxEjectionPercent: 100,
    };
    const { hosts, clock, detector } = setup(settings, 6);
    for (const [i, h] of hosts.entries()) {
      for (let r = 0; r < 200; r++) {
        // Host 5 answers half the time and fails to connect the other half; its 5xx rate is 0.
        if (i === 5 && r % 2 === 0) detector.report(h, { kind: 'connect-failure' });
        else detector.report(h, { kind: 'response', status: 200 });
      }
    }
    clock.advance(30_000);
    assert.deepEqual(
      hosts.map((h) => h.ejected),
      [false, false, false, false, false, true],
    );
    assert.equal(detector.stats.enforced.success_rate_local_origin, 1);
    assert.equal(detector.stats.detected.success_rate, 0);
  });

  test('a passing active health check un-ejects the host', () => {
    const { hosts, detector, fail } = setup(seedRule);
    fail(hosts[0], 5);
    detector.onActiveHealthCheckSuccess(hosts[0]);
    assert.equal(hosts[0].ejected, false);
  });

  test('frequent config pushes do not starve the interval tick', () => {
    const { hosts, clock, fail, detector } = setup(seedRule);
    fail(hosts[0], 5);
    for (let i = 0; i < 6; i++) {
      clock.advance(10_000);
      detector.update({ ...seedRule, consecutive5xx: 6 + i });
    }
    assert.equal(hosts[0].ejected, false);
  });

  test('stop() cancels the interval timer', () => {
    const { clock, detector } = setup(seedRule);
    assert.equal(clock.pending(), 1);
    detector.stop();
    assert.equal(clock.pending(), 0);
  });
});

describe('compileOutlierDetection', () => {
  test('applies Envoy defaults to an empty message', () => {
    assert.deepEqual(compileOutlierDetection('od', {}), DEFAULT_OUTLIER_DETECTION);
  });

  test('reads durations, percents and wrappers', () => {
    assert.equal(seedRule.intervalMs, 30_000);
    assert.equal(seedRule.baseEjectionTimeMs, 30_000);
    assert.equal(seedRule.maxEjectionPercent, 50);
    assert.equal(compileOutlierDetection('od', { interval: '0.5s' }).intervalMs, 500);
    assert.equal(compileOutlierDetection('od', { base_ejection_time: '400s' }).maxEjectionTimeMs, 400_000);
  });

  test('names the bad field', () => {
    assert.throws(
      () => compileOutlierDetection('clusters[0].outlier_detection', { max_ejection_percent: 101 }),
      (e: Error & { code?: string }) =>
        e.code === 'MESH_ERR_PROXY_CONFIG' &&
        e.message.startsWith('clusters[0].outlier_detection.max_ejection_percent'),
    );
    assert.throws(
      () => compileOutlierDetection('od', { consecutive5xx: 3 }),
      /od\.consecutive5xx: unsupported field/,
    );
    assert.throws(() => compileOutlierDetection('od', { interval: '30' }), /od\.interval: invalid duration/);
  });
});
