// The doctor's health probe against real servers on loopback: what it says when the endpoint's scheme
// and the server disagree (a TLS handshake with a plain-HTTP server, a certificate nobody trusts), and
// that a plain network error still reads as before.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeHealth } from '../../src/federation/health-probe.js';
import { tempDir } from '../../src/testing/index.js';
import { selfSignedCertificate } from '../self-signed.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

const ok = (_req: unknown, res: { end: (body: string) => void }) => res.end('{}');

describe('probeHealth', () => {
  it('names a TLS handshake with a server that speaks plain HTTP', async () => {
    const port = await listen(createHttpServer(ok));
    expect(await probeHealth(`http://127.0.0.1:${port}`)).toEqual({ ok: true });
    expect(await probeHealth(`https://127.0.0.1:${port}`)).toEqual({
      ok: false,
      detail: `TLS handshake with 127.0.0.1:${port} failed (wrong version number)`,
      cause: 'tls-handshake',
    });
  });

  it('names a certificate this node does not trust', async () => {
    const { certFile: cert, keyFile: key } = selfSignedCertificate(tempDir(), '127.0.0.1');
    const port = await listen(createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, ok));
    expect(await probeHealth(`https://127.0.0.1:${port}`)).toEqual({
      ok: false,
      detail: `the TLS certificate of 127.0.0.1:${port} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)`,
      cause: 'tls-certificate',
    });
  });

  it('keeps a plain network error as its code', async () => {
    const port = await listen(createHttpServer(ok));
    await new Promise((r) => servers.pop()!.close(r));
    expect(await probeHealth(`http://127.0.0.1:${port}`)).toEqual({ ok: false, detail: 'ECONNREFUSED' });
    expect(await probeHealth(`https://127.0.0.1:${port}`)).toEqual({ ok: false, detail: 'ECONNREFUSED' });
  });
});
