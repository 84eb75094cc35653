/**
 * Certificates for the TLS tests, made with `openssl` at test time (nothing checked in): a CA,
 * and a server certificate it signs for 127.0.0.1 / localhost. `.ci/run` installs openssl when
 * missing.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface TestCa {
  /** The CA certificate (PEM path): what MEDIC_HUB_CA points at. */
  ca: string;
  caKey: string;
}

/** A self-signed CA named `name` in `dir`. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  const ca = join(dir, `${name}.pem`);
  const caKey = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { ca, caKey };
}

/** A server certificate for 127.0.0.1 and localhost signed by `ca`: { cert, key } paths. */
export async function makeServerCert(
  dir: string,
  ca: TestCa,
  name = 'hub',
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  await run('openssl', ['req', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.ca,
    '-CAkey',
    ca.caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return { cert, key };
}
