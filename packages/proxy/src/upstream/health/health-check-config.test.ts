import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileHealthCheck } from './health-check-config.js';

const base = { timeout: '1s', interval: '5s', unhealthy_threshold: 3, healthy_threshold: 2 };

test('compiles an HTTP check with Envoy defaults', () => {
  const hc = compileHealthCheck('hc', {
    ...base,
    interval_jitter: '0.5s',
    http_health_check: { path: '/healthz' },
  });
  assert.equal(hc.timeoutMs, 1000);
  assert.equal(hc.intervalMs, 5000);
  assert.equal(hc.intervalJitterMs, 500);
  assert.equal(hc.unhealthyIntervalMs, 5000);
  assert.deepEqual(hc.check, {
    kind: 'http',
    path: '/healthz',
    host: undefined,
    method: 'GET',
    expectedStatuses: [{ start: 200, end: 201 }],
    retriableStatuses: [],
    requestHeaders: [],
    http2: false,
  });
});

test('decodes TCP payloads from hex and base64', () => {
  const hc = compileHealthCheck('hc', {
    ...base,
    tcp_health_check: {
      send: { text: '0102ff' },
      receive: [{ binary: Buffer.from('ok').toString('base64') }],
    },
  });
  assert.equal(hc.check.kind, 'tcp');
  if (hc.check.kind !== 'tcp') return;
  assert.deepEqual([...hc.check.send!], [1, 2, 255]);
  assert.equal(hc.check.receive[0].toString(), 'ok');
});

test('rejects a missing required field, naming it', () => {
  assert.throws(
    () =>
      compileHealthCheck('clusters[0].health_checks[0]', {
        timeout: '1s',
        interval: '1s',
        healthy_threshold: 1,
      }),
    /clusters\[0\]\.health_checks\[0\]\.unhealthy_threshold: is required/,
  );
});

test('rejects zero or several checker kinds', () => {
  assert.throws(() => compileHealthCheck('hc', base), /hc: exactly one of/);
  assert.throws(
    () => compileHealthCheck('hc', { ...base, tcp_health_check: {}, http_health_check: { path: '/' } }),
    /exactly one of/,
  );
});

test('rejects bad payloads, ranges and unsupported fields', () => {
  assert.throws(
    () => compileHealthCheck('hc', { ...base, tcp_health_check: { send: { text: 'xyz' } } }),
    /hc\.tcp_health_check\.send\.text: must be hex/,
  );
  assert.throws(
    () =>
      compileHealthCheck('hc', {
        ...base,
        http_health_check: { path: '/', expected_statuses: [{ start: 300, end: 200 }] },
      }),
    /hc\.http_health_check\.expected_statuses\[0\]: invalid status range/,
  );
  assert.throws(
    () => compileHealthCheck('hc', { ...base, http_health_check: { path: '/', codec_client_type: 'HTTP3' } }),
    /codec_client_type: unsupported value "HTTP3"/,
  );
  assert.throws(
    () => compileHealthCheck('hc', { ...base, redis_health_check: {} }),
    /hc\.redis_health_check: unsupported field/,
  );
});

test('rejects request headers that would corrupt the check request', () => {
  const withHeader = (key: string, value: string) => ({
    ...base,
    http_health_check: { path: '/', request_headers_to_add: [{ header: { key, value } }] },
  });
  assert.equal(compileHealthCheck('hc', withHeader('x-probe', 'mesh')).check.kind, 'http');
  assert.throws(() => compileHealthCheck('hc', withHeader('x-bad', 'a\r\nInjected: 1')), {
    message:
      'hc.http_health_check.request_headers_to_add[0].header.value: contains characters not allowed in a header',
  });
  assert.throws(
    () => compileHealthCheck('hc', withHeader('bad header', 'v')),
    /header\.key: is not a valid header name/,
  );
});
