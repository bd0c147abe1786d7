/**
 * Test certificates generated at test time with the `openssl` command line (EC P-256, short
 * lived): a CA and leaf certificates signed by it with the subject alt names a test needs. No key
 * material is ever committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate with its private key. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

/** A throwaway certificate authority that signs leaves. */
export interface TestCa extends TestCert {
  /** Issues a leaf; `sans` like `DNS:a.example.com`, `URI:spiffe://td/ns/x/sa/y`, `IP:127.0.0.1`. */
  issue(commonName: string, sans: readonly string[]): TestCert;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates a CA named `name`. */
export function createTestCa(name: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-tls-'));
  try {
    openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
    openssl(dir, [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const ca = {
      cert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      key: readFileSync(join(dir, 'ca.key'), 'utf8'),
    };
    let serial = 1;
    return { ...ca, issue: (cn, sans) => issue(ca, cn, sans, serial++) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function issue(ca: TestCert, commonName: string, sans: readonly string[], serial: number): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-tls-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    writeFileSync(join(dir, 'ca.key'), ca.key);
    const ext = [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
    ];
    if (sans.length > 0) ext.push(`subjectAltName=${sans.join(',')}`);
    writeFileSync(join(dir, 'ext.cnf'), `${ext.join('\n')}\n`);
    openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key']);
    openssl(dir, ['req', '-new', '-key', 'leaf.key', '-subj', `/CN=${commonName}`, '-out', 'leaf.csr']);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(serial),
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
      '-out',
      'leaf.crt',
    ]);
    return {
      cert: readFileSync(join(dir, 'leaf.crt'), 'utf8'),
      key: readFileSync(join(dir, 'leaf.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `tls_certificates[]` entry with inline PEM, as Envoy JSON. */
export function inlineCertificate(c: TestCert): Record<string, unknown> {
  return { certificate_chain: { inline_string: c.cert }, private_key: { inline_string: c.key } };
}
