import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ProxyConfigError } from '../errors.js';
import { compileDownstreamTransportSocket } from './downstream-tls-context.js';
import { parseSubjectAltName } from './peer-identity.js';
import { redactSecrets } from './redact-secrets.js';
import { ServerNameIndex } from './server-name-index.js';
import { createTestCa, inlineCertificate } from './test-support/certs.js';
import { DOWNSTREAM_TLS_TYPE } from './transport-socket.js';

const PATH = 'listeners[0].filter_chains[0].transport_socket';
const wrap = (typed: Record<string, unknown>) => ({
  name: 'envoy.transport_sockets.tls',
  typed_config: { '@type': DOWNSTREAM_TLS_TYPE, ...typed },
});

function rejects(v: unknown, path: string, why: RegExp): void {
  assert.throws(
    () => compileDownstreamTransportSocket(v, PATH),
    (err: unknown) => err instanceof ProxyConfigError && err.path === path && why.test(err.message),
  );
}

describe('TLS context config', () => {
  const ca = createTestCa('config-ca');
  const leaf = ca.issue('leaf', ['DNS:leaf.example.com']);

  test('reads certificates from files and min/max versions from tls_params', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-tls-config-'));
    try {
      writeFileSync(join(dir, 'cert.pem'), leaf.cert);
      writeFileSync(join(dir, 'key.pem'), leaf.key);
      const c = compileDownstreamTransportSocket(
        wrap({
          common_tls_context: {
            tls_certificates: [
              {
                certificate_chain: { filename: join(dir, 'cert.pem') },
                private_key: { filename: join(dir, 'key.pem') },
              },
            ],
            tls_params: { tls_minimum_protocol_version: 'TLSv1_3' },
            alpn_protocols: ['h2', 'http/1.1'],
          },
        }),
        PATH,
      );
      assert.equal(c?.common.params.minVersion, 'TLSv1.3');
      assert.equal(c?.common.params.maxVersion, 'TLSv1.3');
      assert.deepEqual(c?.common.alpnProtocols, ['h2', 'http/1.1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('raw_buffer means plaintext', () => {
    assert.equal(
      compileDownstreamTransportSocket({ name: 'envoy.transport_sockets.raw_buffer' }, PATH),
      undefined,
    );
  });

  test('bad TLS configs are rejected naming the field', () => {
    const tc = `${PATH}.typed_config`;
    rejects(
      wrap({ common_tls_context: {} }),
      `${tc}.common_tls_context.tls_certificates`,
      /at least one certificate/,
    );
    rejects(
      wrap({
        common_tls_context: {
          tls_certificates: [
            {
              certificate_chain: { filename: '/nonexistent/cert.pem' },
              private_key: { inline_string: leaf.key },
            },
          ],
        },
      }),
      `${tc}.common_tls_context.tls_certificates[0].certificate_chain.filename`,
      /cannot read/,
    );
    rejects(
      wrap({
        common_tls_context: {
          tls_certificates: [
            { certificate_chain: { inline_string: 'nope' }, private_key: { inline_string: leaf.key } },
          ],
        },
      }),
      `${tc}.common_tls_context.tls_certificates[0].certificate_chain`,
      /no PEM certificate/,
    );
    rejects(
      wrap({
        common_tls_context: { tls_certificates: [inlineCertificate(leaf)] },
        require_client_certificate: true,
      }),
      `${tc}.require_client_certificate`,
      /trusted_ca/,
    );
    rejects(
      wrap({
        common_tls_context: {
          tls_certificates: [inlineCertificate(leaf)],
          tls_params: { tls_minimum_protocol_version: 'TLSv9' },
        },
      }),
      `${tc}.common_tls_context.tls_params.tls_minimum_protocol_version`,
      /unknown TLS version/,
    );
    const other = ca.issue('other', []);
    rejects(
      wrap({
        common_tls_context: {
          tls_certificates: [
            { certificate_chain: { inline_string: leaf.cert }, private_key: { inline_string: other.key } },
          ],
        },
      }),
      `${tc}.common_tls_context`,
      /invalid TLS material/,
    );
    rejects(
      wrap({ common_tls_context: { tls_certificates: [inlineCertificate(leaf)] }, session_timeout: '60s' }),
      `${tc}.session_timeout`,
      /unsupported field/,
    );
    rejects(
      { name: 'x', typed_config: { '@type': 'type.googleapis.com/foo.Bar' } },
      `${PATH}.typed_config.@type`,
      /unsupported transport socket/,
    );
  });

  test('server names: exact beats wildcard, the longest wildcard wins, duplicates are rejected', () => {
    const idx = new ServerNameIndex<string>();
    idx.add(['*.example.com'], 'wide', 'c[0]');
    idx.add(['*.api.example.com'], 'narrow', 'c[1]');
    idx.add(['www.api.example.com'], 'exact', 'c[2]');
    idx.add([], 'default', 'c[3]');
    assert.equal(idx.select('WWW.api.example.com'), 'exact');
    assert.equal(idx.select('v1.api.example.com'), 'narrow');
    assert.equal(idx.select('shop.example.com'), 'wide');
    assert.equal(idx.select('example.com'), 'default');
    assert.equal(idx.select(undefined), 'default');
    assert.throws(() => idx.add(['*.example.com'], 'again', 'c[4]'), /c\[4\]\.server_names\[0\]/);
    assert.throws(() => idx.add(['a*b.com'], 'bad', 'c[5]'), /invalid server name/);
  });

  test('redaction hides key material in any DataSource form and leaves the input alone', () => {
    const cluster = {
      name: 'c',
      transport_socket: {
        typed_config: {
          common_tls_context: {
            tls_certificates: [
              {
                certificate_chain: { inline_string: 'CERT' },
                private_key: { filename: '/secret/key.pem' },
                password: { inline_string: 'hunter2' },
              },
            ],
          },
        },
      },
    };
    const out = JSON.stringify(redactSecrets(cluster));
    assert.ok(!out.includes('/secret/key.pem') && !out.includes('hunter2'));
    assert.ok(out.includes('"private_key":{"filename":"[redacted]"}'));
    assert.ok(out.includes('CERT'));
    assert.equal(
      cluster.transport_socket.typed_config.common_tls_context.tls_certificates[0]?.password.inline_string,
      'hunter2',
    );
  });

  test('subject alt names parse, including quoted values', () => {
    assert.deepEqual(
      parseSubjectAltName('DNS:a.example.com, URI:spiffe://td/ns/x/sa/y, IP Address:127.0.0.1, URI:"a, b"'),
      [
        { type: 'DNS', value: 'a.example.com' },
        { type: 'URI', value: 'spiffe://td/ns/x/sa/y' },
        { type: 'IP_ADDRESS', value: '127.0.0.1' },
        { type: 'URI', value: 'a, b' },
      ],
    );
  });
});
