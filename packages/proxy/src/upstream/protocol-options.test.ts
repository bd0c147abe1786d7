import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProtocolOptions } from './protocol-options.js';

const KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const TYPE = `type.googleapis.com/${KEY}`;

test('defaults: HTTP/1.1, unlimited requests per connection, 1 h idle timeout', () => {
  const p = compileProtocolOptions('c', {});
  assert.equal(p.http2, false);
  assert.equal(p.maxRequestsPerConnection, Number.POSITIVE_INFINITY);
  assert.equal(p.idleTimeoutMs, 3_600_000);
  assert.equal(p.http2Settings.maxConcurrentStreams, 2147483647);
});

test('explicit HTTP/1.1 with common options', () => {
  const p = compileProtocolOptions('c', {
    typed_extension_protocol_options: {
      [KEY]: {
        '@type': TYPE,
        explicit_http_config: { http_protocol_options: {} },
        common_http_protocol_options: { max_requests_per_connection: 1, idle_timeout: '15s' },
      },
    },
  });
  assert.deepEqual([p.http2, p.maxRequestsPerConnection, p.idleTimeoutMs], [false, 1, 15_000]);
});

test('rejects auto_config, unknown extensions and a wrong @type by path', () => {
  assert.throws(
    () =>
      compileProtocolOptions('c', {
        typed_extension_protocol_options: { [KEY]: { '@type': TYPE, auto_config: {} } },
      }),
    { message: `c.typed_extension_protocol_options.${KEY}.auto_config: unsupported field` },
  );
  assert.throws(
    () =>
      compileProtocolOptions('c', {
        typed_extension_protocol_options: { 'envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions': {} },
      }),
    /unsupported protocol options extension/,
  );
  assert.throws(
    () =>
      compileProtocolOptions('c', {
        typed_extension_protocol_options: { [KEY]: { '@type': 'x', explicit_http_config: {} } },
      }),
    /@type: expected type\.googleapis\.com/,
  );
  assert.throws(
    () =>
      compileProtocolOptions('c', {
        typed_extension_protocol_options: { [KEY]: { '@type': TYPE, explicit_http_config: {} } },
      }),
    /exactly one of http_protocol_options, http2_protocol_options is required/,
  );
  assert.throws(() => compileProtocolOptions('c', { http2_protocol_options: { allow_connect: true } }), {
    message: 'c.http2_protocol_options.allow_connect: unsupported field',
  });
});
