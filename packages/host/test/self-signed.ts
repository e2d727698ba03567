/**
 * A self-signed certificate (ECDSA P-256) valid for `days` from now, as `routerctl tls self-signed` makes
 * one, written as DIR/NAME.crt and DIR/NAME.key: what the host's TLS tests serve and judge.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function selfSignedCertificate(
  dir: string,
  name: string,
  days = 1,
): { certFile: string; keyFile: string } {
  const [certFile, keyFile] = [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(days),
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}
