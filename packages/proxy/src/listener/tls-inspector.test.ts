import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { FilterChainSelector } from './filter-chain-match.js';
import { inspectClientHello } from './tls-inspector.js';

/** The first bytes a node TLS client sends to a server that never answers. */
async function clientHello(servername?: string): Promise<Buffer> {
  let resolveHello!: (b: Buffer) => void;
  const got = new Promise<Buffer>((r) => {
    resolveHello = r;
  });
  const server = createServer((s: Socket) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (inspectClientHello(all) !== null) {
        resolveHello(all);
        s.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const c = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return hello;
}

describe('TLS inspector', () => {
  test('finds the SNI of a real ClientHello', async () => {
    const hello = await clientHello('Api.Example.com');
    assert.deepEqual(inspectClientHello(hello), { transportProtocol: 'tls', serverName: 'api.example.com' });
  });

  test('a ClientHello without SNI is TLS with an empty server name', async () => {
    const hello = await clientHello(undefined);
    assert.deepEqual(inspectClientHello(hello), { transportProtocol: 'tls', serverName: '' });
  });

  test('asks for more bytes until the ClientHello is complete, at any split', async () => {
    const hello = await clientHello('a.example.com');
    for (const cut of [1, 3, 5, 9, 40, hello.length - 1]) {
      assert.equal(inspectClientHello(hello.subarray(0, cut)), null, `cut at ${cut}`);
    }
  });

  test('plaintext and non-ClientHello records are raw_buffer', () => {
    assert.equal(inspectClientHello(Buffer.from('GET / HTTP/1.1\r\n'))?.transportProtocol, 'raw_buffer');
    assert.equal(
      inspectClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0]))?.transportProtocol,
      'raw_buffer',
    );
    assert.equal(inspectClientHello(Buffer.from([0x16, 0x09]))?.transportProtocol, 'raw_buffer');
  });
});

describe('filter chain selection', () => {
  const chain = (
    serverNames: string[],
    transportProtocol?: 'tls' | 'raw_buffer',
    destinationPort?: number,
  ) => ({
    serverNames,
    transportProtocol,
    destinationPort,
  });

  test('exact names beat wildcards, the longest wildcard wins, then the chain naming no server', () => {
    const s = new FilterChainSelector(
      [chain(['a.example.com']), chain(['*.example.com']), chain(['*.b.example.com']), chain([])],
      'fc',
    );
    assert.equal(s.select(80, 'a.example.com', 'tls'), 0);
    assert.equal(s.select(80, 'x.example.com', 'tls'), 1);
    assert.equal(s.select(80, 'x.b.example.com', 'tls'), 2);
    assert.equal(s.select(80, 'other.org', 'tls'), 3);
    assert.equal(s.select(80, '', 'raw_buffer'), 3);
  });

  test('transport_protocol tells TLS from plaintext; without a match there is no chain', () => {
    const s = new FilterChainSelector([chain([], 'tls'), chain([], 'raw_buffer')], 'fc');
    assert.equal(s.select(80, 'x', 'tls'), 0);
    assert.equal(s.select(80, '', 'raw_buffer'), 1);
    const onlyTls = new FilterChainSelector([chain(['a.example.com'], 'tls')], 'fc');
    assert.equal(onlyTls.select(80, '', 'raw_buffer'), -1);
    assert.equal(onlyTls.select(80, 'b.example.com', 'tls'), -1);
  });

  test('a destination_port match is preferred over chains without one', () => {
    const s = new FilterChainSelector([chain([]), chain([], undefined, 8443)], 'fc');
    assert.equal(s.select(8443, '', 'tls'), 1);
    assert.equal(s.select(9000, '', 'tls'), 0);
  });

  test('two chains with the same matching rules are an error naming the second', () => {
    assert.throws(
      () =>
        new FilterChainSelector(
          [chain(['a.example.com'], 'tls'), chain(['A.example.com'], 'tls')],
          'l.filter_chains',
        ),
      (e: unknown) =>
        e instanceof Error &&
        (e as { path?: string }).path === 'l.filter_chains[1].filter_chain_match.server_names[0]',
    );
  });
});
