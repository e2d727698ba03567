import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../src/protocol/errors.js';
import { fixture, RawPeer } from './helpers.js';

const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
});

/** Start the fixture plugin and send it `initialize` with this config; resolves with its answer. */
// biome-ignore lint/suspicious/noExplicitAny: the answer is asserted field by field
async function initializeWith(config: unknown, args: string[] = []): Promise<any> {
  const peer = new RawPeer(fixture('config-plugin.mjs'), args);
  peers.push(peer);
  peer.sendInitialize(config);
  return peer.next();
}

describe('a plugin config with fields its schema does not declare', () => {
  it('is refused at initialize with -32602 and the JSON Pointer of every unknown field', async () => {
    const answer = await initializeWith({
      absentAftr: '30s',
      sources: { dnsmaq: '/var/lib/misc/dnsmasq.leases' },
      domains: [{ name: 'lan', cidr: '10.0.0.0/24' }],
    });
    expect(answer.error.code).toBe(ErrorCodes.InvalidParams);
    const paths = answer.error.data.issues.map((i: { path: string }) => i.path);
    expect(paths.sort()).toEqual(['/config/absentAftr', '/config/domains/0/cidr', '/config/sources/dnsmaq']);
    expect(answer.error.message).toContain(
      '/config/absentAftr is not a known field here: remove it or check its spelling (fields here: absentAfter, domains, sources)',
    );
    expect(answer.error.message).toContain('/config/sources/dnsmaq is not a known field');
    expect(answer.error.message).toContain('(fields here: dnsmasq)');
  });

  it('is refused even when every declared field is valid', async () => {
    const answer = await initializeWith({ absentAfter: '30s', extra: true });
    expect(answer.error.code).toBe(ErrorCodes.InvalidParams);
    expect(answer.error.data.issues).toEqual([
      { path: '/config/extra', message: expect.stringContaining('is not a known field') },
    ]);
  });

  it('still names a wrong value by its path', async () => {
    const answer = await initializeWith({ absentAfter: 30 });
    expect(answer.error.code).toBe(ErrorCodes.InvalidParams);
    expect(answer.error.message).toBe('invalid config: /config/absentAfter must be a string (was a number)');
  });

  it('a known config is accepted, with its defaults', async () => {
    const answer = await initializeWith({ absentAfter: '30s' });
    expect(answer.result.plugin).toEqual({ name: 'config-plugin', version: '1.0.0' });
  });

  it('is accepted by a plugin that opts out with acceptUnknownConfigFields', async () => {
    const answer = await initializeWith({ absentAftr: '30s', sources: { dnsmaq: '/x' } }, ['--open']);
    expect(answer.error).toBeUndefined();
    expect(answer.result.plugin.name).toBe('config-plugin');
  });
});
