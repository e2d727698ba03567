// examples/ is what an operator copies onto two real routers: every file must pass the real
// `routerd-eventd check`, each Plugin's `config` must pass that plugin's own arktype schema (check reads
// its JSON Schema only where the executable is installed, and JSON Schema cannot say every rule), and the
// on-prem and cloud halves must agree with each other.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_BIN, tempDir } from '@routerd/host/testing';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { keyFile } from './support/federation.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const CLOUDS = ['cloud-aws.yaml', 'cloud-azure.yaml', 'cloud-oci.yaml'];
const FILES = ['onprem.yaml', ...CLOUDS];

// biome-ignore lint/suspicious/noExplicitAny: the examples' resources, read as plain YAML
type Doc = { kind: string; metadata: { name: string }; spec: any };
const docs = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(EXAMPLES + file, 'utf8')).map((d) => d.toJS() as Doc);
const one = (file: string, kind: string) => docs(file).filter((d) => d.kind === kind);

/** The plugin packages' own config schemas, from their built dist (the tests run after `pnpm build`). */
const pluginSchemas: Record<string, () => Promise<(c: unknown) => unknown>> = {
  'routerd-plugin-arp-observer': async () => (await import('@routerd/plugin-arp-observer')).ArpObserverConfig,
  'routerd-plugin-aws': async () => (await import('@routerd/plugin-aws')).AwsConfig,
  'routerd-plugin-azure': async () => (await import('@routerd/plugin-azure')).AzureConfig,
  'routerd-plugin-oci': async () => (await import('@routerd/plugin-oci')).OciConfig,
};

describe('examples/', () => {
  it('holds exactly the documented files', () => {
    expect(readdirSync(EXAMPLES).sort()).toEqual(['README.md', ...FILES].sort());
  });

  it.each(FILES)('%s passes routerd-eventd check (exit 0)', (file) => {
    // check opens the key files as a start does: this machine has none under /etc/routerd, so the copy
    // checked here names a real 0600 key instead — the only change to the example.
    const dir = tempDir('routerd-example-');
    const key = keyFile(dir);
    const text = readFileSync(EXAMPLES + file, 'utf8');
    expect(text).toMatch(/secretFile: \/etc\/routerd\/keys\//);
    const copy = join(dir, file);
    writeFileSync(copy, text.replace(/secretFile: \S+/g, `secretFile: ${key}`));
    const r = spawnSync(process.execPath, [DAEMON_BIN, 'check', '--config', copy], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^config OK: 1 EventGroup, 1 EventPeer/);
  });

  it('check refuses an example whose key file is missing, naming it', () => {
    const r = spawnSync(process.execPath, [DAEMON_BIN, 'check', '--config', `${EXAMPLES}onprem.yaml`], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'cannot read secret file /etc/routerd/keys/onprem-1--cloud-1.key: no such file',
    );
  });

  it.each(FILES)("%s: each Plugin's config passes the plugin's own schema", async (file) => {
    const plugins = one(file, 'Plugin');
    expect(plugins).toHaveLength(1);
    for (const p of plugins) {
      const bin = (p.spec.executable as string).split('/').pop()!;
      const schema = await pluginSchemas[bin]!();
      const out = schema(p.spec.config) as { summary?: string };
      expect(out.summary, `${file} Plugin/${p.metadata.name}`).toBeUndefined();
    }
  });

  it.each(CLOUDS)('onprem.yaml and %s are two halves of one pair', (cloudFile) => {
    const [og, cg] = [one('onprem.yaml', 'EventGroup')[0]!, one(cloudFile, 'EventGroup')[0]!];
    const [op, cp] = [one('onprem.yaml', 'EventPeer')[0]!, one(cloudFile, 'EventPeer')[0]!];
    expect(og.metadata.name).toBe(cg.metadata.name);
    // Each side's peer is the other side, at the address and port it listens on.
    expect(op.spec.nodeName).toBe(cg.spec.nodeName);
    expect(cp.spec.nodeName).toBe(og.spec.nodeName);
    expect(op.spec.endpoint).toBe(`http://${cg.spec.listen.address}:${cg.spec.listen.port}`);
    expect(cp.spec.endpoint).toBe(`http://${og.spec.listen.address}:${og.spec.listen.port}`);
    // One key file for the pair, the same path on both routers; overlay addresses, never a wildcard.
    expect(op.spec.auth.secretFile).toBe(cp.spec.auth.secretFile);
    for (const g of [og, cg]) {
      expect(g.spec.listen.address).toMatch(/^(169\.254\.|10\.)/);
      expect(g.spec.listen.allowWildcard).toBeUndefined();
    }
    // What on-prem pushes is what the cloud's subscription listens for, from that node.
    const sub = one(cloudFile, 'EventSubscription')[0]!;
    expect(op.spec.push.types).toEqual(['routerd.client.ipv4.*']);
    for (const t of sub.spec.match.types) expect(t).toMatch(/^routerd\.client\.ipv4\./);
    expect(sub.spec.match.sourceNodes).toEqual([og.spec.nodeName]);
    expect(sub.spec.trigger.pluginRef).toBe(one(cloudFile, 'Plugin')[0]!.metadata.name);
    // The observer tags its events with the domain the subscription selects.
    const observer = one('onprem.yaml', 'Plugin')[0]!;
    expect(observer.spec.config.domains.map((d: { name: string }) => d.name)).toContain(
      sub.spec.match.payload.domain,
    );
  });
});
