import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxyConfigError } from '../errors.js';
import type { PeerIdentity } from './peer-identity.js';
import { applyXfcc, compileXfcc, DEFAULT_XFCC } from './xfcc.js';

const peer: PeerIdentity = {
  verified: true,
  sans: [
    { type: 'URI', value: 'spiffe://td/ns/a/sa/b' },
    { type: 'DNS', value: 'b.a.svc' },
  ],
  uriSans: ['spiffe://td/ns/a/sa/b'],
  subject: 'CN=b',
  fingerprint256: 'AB:CD:EF',
  localUriSans: ['spiffe://td/ns/x/sa/proxy'],
};

describe('x-forwarded-client-cert', () => {
  test('the default strips the header on plaintext and mTLS connections alike', () => {
    for (const p of [undefined, null, peer]) {
      const h = ['x-forwarded-client-cert', 'URI=spiffe://forged', 'a', '1'];
      applyXfcc(DEFAULT_XFCC, h, p);
      assert.deepEqual(h, ['a', '1']);
    }
  });

  test('APPEND_FORWARD appends this hop for an mTLS client and sanitises plaintext', () => {
    const cfg = compileXfcc(
      {
        forward_client_cert_details: 'APPEND_FORWARD',
        set_current_client_cert_details: { subject: true, uri: true, dns: true },
      },
      'hcm',
    );
    const h = ['x-forwarded-client-cert', 'Hash=00'];
    applyXfcc(cfg, h, peer);
    assert.deepEqual(h, [
      'x-forwarded-client-cert',
      'Hash=00,By=spiffe://td/ns/x/sa/proxy;Hash=abcdef;Subject="CN=b";URI=spiffe://td/ns/a/sa/b;DNS=b.a.svc',
    ]);
    const plain = ['x-forwarded-client-cert', 'Hash=00'];
    applyXfcc(cfg, plain, undefined);
    assert.deepEqual(plain, []);
  });

  test('FORWARD_ONLY keeps the header only from mTLS clients; ALWAYS_FORWARD_ONLY always', () => {
    const fwd = compileXfcc({ forward_client_cert_details: 'FORWARD_ONLY' }, 'hcm');
    const a = ['x-forwarded-client-cert', 'Hash=00'];
    applyXfcc(fwd, a, peer);
    assert.deepEqual(a, ['x-forwarded-client-cert', 'Hash=00']);
    applyXfcc(fwd, a, null);
    assert.deepEqual(a, []);
    const always = compileXfcc({ forward_client_cert_details: 'ALWAYS_FORWARD_ONLY' }, 'hcm');
    const b = ['x-forwarded-client-cert', 'Hash=00'];
    applyXfcc(always, b, undefined);
    assert.deepEqual(b, ['x-forwarded-client-cert', 'Hash=00']);
  });

  test('bad settings are rejected naming the field', () => {
    assert.throws(
      () => compileXfcc({ forward_client_cert_details: 'SOMETIMES' }, 'hcm'),
      (e: unknown) => e instanceof ProxyConfigError && e.path === 'hcm.forward_client_cert_details',
    );
    assert.throws(
      () =>
        compileXfcc(
          { forward_client_cert_details: 'SANITIZE_SET', set_current_client_cert_details: { cert: true } },
          'hcm',
        ),
      (e: unknown) => e instanceof ProxyConfigError && e.path === 'hcm.set_current_client_cert_details.cert',
    );
  });
});
