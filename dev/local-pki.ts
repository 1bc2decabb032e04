import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway CA, a server certificate it signed (by default for `127.0.0.1` / `localhost`) and a client certificate
 * (for a proxy presenting one to a server with `tlsClientAuth`).
 */
export interface TestPki {
  caPEM: string;
  serverCertPEM: string;
  serverKeyPEM: string;
  clientCertPEM: string;
  clientKeyPEM: string;
}

/**
 * Creates a throwaway PKI valid for `days` (default one). Keys come from `node:crypto`; Node cannot build X.509
 * certificates, so the `openssl` CLI signs them in a temporary directory (removed before returning). Used by the
 * tests and by `npm run start:aws` (its local HTTPS front doors) when no certificate is given.
 * @param names extra DNS names (wildcards allowed) for the server certificate, besides 127.0.0.1 and localhost
 */
export function createTestPki(caName = 'tfa test CA', names: string[] = [], days = 1): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tfa-pki-'));
  try {
    const newKeyPem = () =>
      String(
        generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
      );
    // Arguments are written as one string per step for readability; none contains a space except the subject.
    const openssl = (args: string, ...extra: string[]) =>
      execFileSync('openssl', [...args.split(' '), ...extra], { cwd: dir, stdio: 'pipe' });

    // 1. Self-signed CA.
    writeFileSync(join(dir, 'ca.key'), newKeyPem());
    openssl(
      `req -x509 -new -key ca.key -out ca.pem -days ${days} -addext basicConstraints=critical,CA:TRUE ` +
        '-addext keyUsage=critical,keyCertSign,cRLSign',
      '-subj',
      `/CN=${caName}`,
    );

    // 2. Server certificate signed by the CA, with the SANs that loopback clients check.
    const serverKeyPEM = newKeyPem();
    writeFileSync(join(dir, 'server.key'), serverKeyPEM);
    writeFileSync(
      join(dir, 'server.ext'),
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
        `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', ...names.map((n) => `DNS:${n}`)].join(',')}\n`,
    );
    openssl('req -new -key server.key -out server.csr -subj /CN=localhost');
    openssl(
      `x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days ${days} -extfile server.ext`,
    );

    // 3. Client certificate (clientAuth only), as a proxy presents it to an mTLS server.
    const clientKeyPEM = newKeyPem();
    writeFileSync(join(dir, 'client.key'), clientKeyPEM);
    writeFileSync(
      join(dir, 'client.ext'),
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
    );
    openssl('req -new -key client.key -out client.csr -subj /CN=tfa-test-proxy');
    openssl(
      `x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days ${days} -extfile client.ext`,
    );

    return {
      caPEM: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      serverCertPEM: readFileSync(join(dir, 'server.pem'), 'utf8'),
      serverKeyPEM,
      clientCertPEM: readFileSync(join(dir, 'client.pem'), 'utf8'),
      clientKeyPEM,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
