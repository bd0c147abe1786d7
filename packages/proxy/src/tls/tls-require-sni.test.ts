import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { compileDownstreamTlsContext } from './downstream-tls-context.js';
import { createTestCa, inlineCertificate } from './test-support/certs.js';
import { type TlsRejection, TlsTerminator } from './tls-terminator.js';

test('require_sni refuses a ClientHello without a server name', async () => {
  const ca = createTestCa('sni-ca');
  const tls = compileDownstreamTlsContext(
    {
      require_sni: true,
      common_tls_context: { tls_certificates: [inlineCertificate(ca.issue('s', ['DNS:s.example.com']))] },
    },
    'ctx',
  );
  const rejections: TlsRejection[] = [];
  const terminator = new TlsTerminator(
    [{ serverNames: [], tls, value: 0 }],
    'chains',
    (s) => s.socket.end('hi'),
    {
      onReject: (why) => rejections.push(why),
    },
  );
  const server = createServer((s) => terminator.accept(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  try {
    const anonymous = connect({ host: '127.0.0.1', port, ca: ca.cert, checkServerIdentity: () => undefined });
    anonymous.on('error', () => {});
    anonymous.on('data', () => assert.fail('no data without SNI'));
    await new Promise((resolve) => anonymous.on('close', resolve));
    assert.deepEqual(rejections, ['no-sni']);
    const named = connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 's.example.com' });
    const [data] = await once(named, 'data');
    assert.equal(String(data), 'hi');
    named.destroy();
  } finally {
    server.close();
  }
});
