import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizePath, type PathNormalization } from './path-normalize.js';

const on: PathNormalization = { normalizePath: true, mergeSlashes: true, escapedSlashes: 'KEEP_UNCHANGED' };

describe('path normalisation', () => {
  const cases: Array<[string, string]> = [
    ['/a/b', '/a/b'],
    ['//admin', '/admin'],
    ['/a//b///c', '/a/b/c'],
    ['/a/./b', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/x/%2e%2e/admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/a/%2E/b', '/a/b'],
    ['/a%2fb', '/a%2Fb'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a\\..\\admin', '/admin'],
    ['/a/b/.', '/a/b/'],
  ];
  for (const [input, want] of cases) {
    test(`${input} → ${want}`, () => {
      assert.equal(normalizePath(input, on), want);
    });
  }

  test('escaped slashes can be rejected or unescaped', () => {
    assert.equal(normalizePath('/a%2Fb', { ...on, escapedSlashes: 'REJECT_REQUEST' }), null);
    assert.equal(
      normalizePath('/a%2F..%2Fadmin', { ...on, escapedSlashes: 'UNESCAPE_AND_FORWARD' }),
      '/admin',
    );
  });

  test('malformed percent-encoding and fragments are rejected', () => {
    assert.equal(normalizePath('/a%zz', on), null);
    assert.equal(normalizePath('/a%2', on), null);
    assert.equal(normalizePath('/a#frag', on), null);
  });

  test('with normalisation off the path is left as received', () => {
    assert.equal(
      normalizePath('/a/../b//c', {
        normalizePath: false,
        mergeSlashes: false,
        escapedSlashes: 'KEEP_UNCHANGED',
      }),
      '/a/../b//c',
    );
  });
});
