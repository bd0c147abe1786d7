import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHUNKED_ERROR, ChunkedDecoder } from './chunked-decoder.js';

function decode(input: string, splitEvery = 0): { out: string; used: number; done: boolean } {
  const d = new ChunkedDecoder();
  const parts: Buffer[] = [];
  const sink = { onChunk: (b: Buffer) => parts.push(Buffer.from(b)) };
  const buf = Buffer.from(input, 'latin1');
  if (splitEvery === 0) {
    const used = d.feed(buf, 0, sink);
    return { out: Buffer.concat(parts).toString('latin1'), used, done: d.done };
  }
  let used = 0;
  for (let i = 0; i < buf.length && !d.done; i += splitEvery) {
    const piece = buf.subarray(i, Math.min(i + splitEvery, buf.length));
    const u = d.feed(piece, 0, sink);
    if (u === CHUNKED_ERROR) return { out: '', used: CHUNKED_ERROR, done: false };
    used = i + u;
  }
  return { out: Buffer.concat(parts).toString('latin1'), used, done: d.done };
}

describe('chunked decoder', () => {
  test('decodes chunks with extensions and trailers and stops at the message end', () => {
    const msg = '5;a=b\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n';
    const r = decode(msg + 'GET /next');
    assert.equal(r.out, 'hello world');
    assert.equal(r.done, true);
    assert.equal(r.used, msg.length);
  });

  test('decodes the same message fed one byte at a time', () => {
    const r = decode('a\r\n0123456789\r\n0\r\n\r\n', 1);
    assert.equal(r.out, '0123456789');
    assert.equal(r.done, true);
  });

  for (const [name, input] of [
    ['a non-hex size', 'g\r\nx\r\n0\r\n\r\n'],
    ['a negative size', '-1\r\nx\r\n0\r\n\r\n'],
    ['an oversized size', 'ffffffffffffffffff\r\n'],
    ['a bare LF after the size', '1\nx\r\n0\r\n\r\n'],
    ['missing CRLF after data', '1\r\nxy\r\n0\r\n\r\n'],
    ['an empty size', '\r\nx\r\n'],
    ['a space before the size', ' 1\r\nx\r\n0\r\n\r\n'],
  ] as const) {
    test(`rejects ${name}`, () => {
      assert.equal(decode(input).used, CHUNKED_ERROR);
    });
  }
  test('keeps trailer fields, also when a line is split across reads', () => {
    const msg = Buffer.from('3\r\nabc\r\n0\r\nX-Checksum:  abc123 \r\ngrpc-status: 0\r\n\r\n', 'latin1');
    for (const step of [msg.length, 1, 3, 7]) {
      const d = new ChunkedDecoder();
      for (let i = 0; i < msg.length && !d.done; i += step) {
        assert.notEqual(d.feed(msg.subarray(i, i + step), 0, { onChunk() {} }), CHUNKED_ERROR);
      }
      assert.equal(d.done, true);
      assert.deepEqual(d.trailers, ['x-checksum', 'abc123', 'grpc-status', '0'], `split every ${step}`);
      d.reset();
      assert.equal(d.trailers, null);
    }
    const none = new ChunkedDecoder();
    none.feed(Buffer.from('0\r\n\r\n'), 0, { onChunk() {} });
    assert.equal(none.trailers, null);
  });

  for (const [name, trailer] of [
    ['a trailer line without a colon', 'no-colon'],
    ['a trailer with an empty name', ': v'],
    ['a trailer name with a space', 'bad name: v'],
  ] as const) {
    test(`rejects ${name}`, () => {
      assert.equal(decode(`1\r\nx\r\n0\r\n${trailer}\r\n\r\n`).used, CHUNKED_ERROR);
    });
  }
});
