/**
 * Helpers for tests that run a provider plugin and its executions inside real daemons: an on-prem node
 * and a cloud node whose plugin claims on-prem's clients under an ActionPolicy.
 */
import { join } from 'node:path';
import { ActionJournal } from '@routerd/host';
import type { TestDaemon } from '@routerd/host/testing';
import { DB_FILE, type ExecutionRecord } from '@routerd/host-wire';
import type { LoopbackServer, MetadataMode } from '@routerd/plugin-sdk/testing';
import BetterSqlite3 from 'better-sqlite3';
import {
  clientsPluginYaml,
  type daemonsPerTest,
  freePort,
  keyFile,
  nodeConfig,
  routerctl,
  writeNodeFiles,
} from './federation.js';

/** The assign by itself; anything else waits for a person. */
export const AUTO_ASSIGN = '[{ action: assign-secondary-ip, phase: provision, risk: [low], mode: auto }]';
/** The assign and, opted in, the plugin's teardown (an unassign, medium risk) by themselves. */
export const AUTO_BOTH = `[{ action: assign-secondary-ip, phase: provision, risk: [low], mode: auto },
         { action: unassign-secondary-ip, phase: teardown, risk: [low, medium], mode: auto }]
  allowAutoTeardown: true`;

/** A daemon's journal, read from its database file as the daemon left it. */
export function journalOf(d: TestDaemon): ExecutionRecord[] {
  const db = new BetterSqlite3(join(d.stateDir, DB_FILE), { readonly: true });
  try {
    return new ActionJournal(db).list();
  } finally {
    db.close();
  }
}

/** `routerctl federation event emit` of an on-prem client's leaving, as an operator would type it. */
export const emitExpiredWithRouterctl = (stateDir: string, address: string) =>
  routerctl(
    stateDir,
    'federation',
    'event',
    'emit',
    '--type',
    'routerd.client.ipv4.expired',
    '--payload',
    `address=${address}`,
    '--payload',
    'domain=lan',
    '--payload',
    'ownerSide=onprem',
    '--payload',
    'source=arp',
    '--ttl',
    '300s',
  );

export interface ProviderPairOptions {
  /** The Plugin resource's name. */
  name: string;
  /** The plugin's executable (its dist/main.js). */
  executable: string;
  /** YAML lines of the plugin's spec.config. */
  config: string[];
  /** YAML documents appended to the cloud's config (an ActionPolicy, or nothing). */
  policy: string;
  /** The subscription's teardown grace. */
  grace?: string;
}

/**
 * onprem and cloud, started: the cloud runs the provider plugin on every on-prem client event, under
 * `policy`. `daemons` (from daemonsPerTest) stops them after the test.
 */
export async function startProviderPair(
  daemons: ReturnType<typeof daemonsPerTest>,
  root: string,
  o: ProviderPairOptions,
) {
  const key = keyFile(root);
  const [po, pc] = [await freePort(), await freePort()];
  const cloudText = (policy: string) =>
    nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] }) +
    clientsPluginYaml({
      name: o.name,
      executable: o.executable,
      longLived: true,
      config: `\n${o.config.map((l) => `    ${l}`).join('\n')}`,
      teardown: `{ grace: ${o.grace ?? '30m'}, observationTTL: 1s }`,
    }) +
    policy;
  const cloudFiles = writeNodeFiles(root, 'cloud', cloudText(o.policy));
  const cloudNode = { config: cloudFiles.configFiles[0]!, stateDir: cloudFiles.stateDir };
  const cloud = await daemons.start(cloudNode);
  const onpremFiles = writeNodeFiles(
    root,
    'onprem',
    nodeConfig({ name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] }),
  );
  const onprem = await daemons.start({ config: onpremFiles.configFiles[0]!, stateDir: onpremFiles.stateDir });
  return {
    cloud,
    onprem,
    /** The cloud daemon again, on the same config and state directory (after a kill). */
    restartCloud: () => daemons.start(cloudNode),
    /** Rewrite the cloud's config with another policy section (then SIGHUP it). */
    setPolicy: (p: string) => writeNodeFiles(root, 'cloud', cloudText(p)),
  };
}

/**
 * A provider plugin's fake metadata service (packages/plugins-<provider>/test/fake-imds.ts) on 127.0.0.1.
 * Imported by a path computed at run time: the e2e typecheck's rootDir holds no other package's sources.
 */
export async function startPluginImds(provider: 'azure' | 'oci', mode: MetadataMode = 'ok') {
  const url = new URL(`../../../../packages/plugins-${provider}/test/fake-imds.ts`, import.meta.url);
  const fake = (await import(url.href)) as { startFakeImds(m: MetadataMode): Promise<LoopbackServer> };
  return fake.startFakeImds(mode);
}
