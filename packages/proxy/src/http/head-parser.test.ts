import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRequestHead, parseResponseHead, RequestHead, ResponseHead } from './head-parser.js';

function req(s: string): { err: string | null; head: RequestHead } {
  const head = new RequestHead();
  return { err: parseRequestHead(s, head), head };
}

describe('request head parser', () => {
  test('parses method, target, version and lower-cases header names', () => {
    const { err, head } = req('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Thing:  v  \r\n\r\n');
    assert.equal(err, null);
    assert.equal(head.method, 'GET');
    assert.equal(head.target, '/a?b=1');
    assert.equal(head.host, 'x');
    assert.deepEqual(head.headers, ['x-thing', 'v']);
  });

  test('TE: trailers is recorded (as a list member, with parameters) and not forwarded', () => {
    const te = (v: string) => req(`GET / HTTP/1.1\r\nHost: x\r\nTE: ${v}\r\n\r\n`).head;
    assert.equal(te('trailers').teTrailers, true);
    assert.equal(te('gzip;q=0.5, Trailers').teTrailers, true);
    assert.equal(te('trailersx, gzip').teTrailers, false);
    assert.deepEqual(te('trailers').headers, []);
    assert.equal(req('GET / HTTP/1.1\r\nHost: x\r\n\r\n').head.teTrailers, false);
  });

  test('drops hop-by-hop headers from the forwarded list but records their meaning', () => {
    const { err, head } = req(
      'POST / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nKeep-Alive: 5\r\nContent-Length: 3\r\n\r\n',
    );
    assert.equal(err, null);
    assert.deepEqual(head.headers, []);
    assert.equal(head.connectionUpgrade, true);
    assert.equal(head.upgrade, 'websocket');
    assert.equal(head.contentLength, 3);
  });

  test('headers named in Connection are hop-by-hop and dropped', () => {
    const { err, head } = req(
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: close, X-Secret-Hop\r\nX-Secret-Hop: 1\r\nX-Keep: 2\r\n\r\n',
    );
    assert.equal(err, null);
    assert.deepEqual(head.headers, ['x-keep', '2']);
    assert.equal(head.connectionClose, true);
  });

  const smuggling: Array<[string, string]> = [
    [
      'Content-Length and Transfer-Encoding together',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    [
      'differing Content-Length headers',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n',
    ],
    [
      'a Content-Length list with different values',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n',
    ],
    ['a signed Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\n'],
    [
      'Transfer-Encoding not ending in chunked',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    ],
    ['Transfer-Encoding: xchunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n'],
    [
      'two Transfer-Encoding headers',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['Transfer-Encoding on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n'],
    ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n'],
    ['a bare CR in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n'],
    ['a NUL in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\u00002\r\n\r\n'],
    ['an invalid header name', 'GET / HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n'],
    ['a missing Host on HTTP/1.1', 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n'],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['HTTP/2.0 in a request line', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'],
    ['a space inside the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a control character in the method', 'G\u0001T / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ];
  for (const [name, text] of smuggling) {
    test(`rejects ${name}`, () => {
      assert.notEqual(req(text).err, null);
    });
  }

  test('accepts identical repeated Content-Length values', () => {
    const { err, head } = req(
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n',
    );
    assert.equal(err, null);
    assert.equal(head.contentLength, 5);
  });
});

describe('response head parser', () => {
  test('parses status, framing and keep-alive facts', () => {
    const head = new ResponseHead();
    assert.equal(
      parseResponseHead(
        'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\nX-A: b\r\n\r\n',
        head,
      ),
      null,
    );
    assert.equal(head.status, 404);
    assert.equal(head.contentLength, 0);
    assert.equal(head.connectionClose, true);
    assert.deepEqual(head.headers, ['x-a', 'b']);
  });

  test('rejects a malformed status line and conflicting framing', () => {
    const head = new ResponseHead();
    assert.notEqual(parseResponseHead('HTTP/1.1 2000 OK\r\n\r\n', head), null);
    assert.notEqual(
      parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', head),
      null,
    );
  });
});
