/**
 * A TLS certificate file as the daemon will read it at its next start or reload (bounded like every key
 * file), parsed into each certificate's subject and validity dates for the doctor's tls-certificate check.
 */
import { X509Certificate } from 'node:crypto';
import { KEY_FILE_MAX_BYTES, NotReadableError, readRegularFile } from '../regular-file.js';
import type { CertificateContents } from './tls-checks.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** `CN=cloud-1` when the subject has a common name, else the whole subject on one line. */
function subjectOf(cert: X509Certificate): string {
  const lines = cert.subject.split('\n');
  return lines.find((l) => l.startsWith('CN=')) ?? (lines.join(', ') || 'a certificate with no subject');
}

export function parseCertificates(text: string): CertificateContents {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return { error: 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)' };
  const certificates = [];
  for (const [i, block] of blocks.entries()) {
    try {
      const cert = new X509Certificate(block);
      certificates.push({
        subject: subjectOf(cert),
        validFromMs: Date.parse(cert.validFrom),
        validToMs: Date.parse(cert.validTo),
      });
    } catch (err) {
      return { error: `certificate ${i + 1} of ${blocks.length} does not parse (${(err as Error).message})` };
    }
  }
  return { certificates };
}

export function readCertificates(path: string): CertificateContents {
  try {
    return parseCertificates(readRegularFile(path, KEY_FILE_MAX_BYTES).text);
  } catch (err) {
    return { error: err instanceof NotReadableError ? err.reason : (err as Error).message };
  }
}
