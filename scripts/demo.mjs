#!/usr/bin/env node
// The two-node demo: an on-prem router observes a client, federates the observation to its cloud peer,
// whose AWS plugin proposes a RemoteAddressClaim and a dry-run plan; then the client leaves and the
// cloud holds the claim for its grace (hysteresis) before proposing the teardown. All on loopback, in
// temporary directories, with fresh keys; Ctrl-C at any point leaves nothing running.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AWS, cloudConfig, GRACE_S, OBSERVER, onpremConfig } from './demo/configs.mjs';
import { startFakeImds } from './demo/fake-imds.mjs';
import { neighbourSource } from './demo/neighbours.mjs';
import { freePort, until } from './demo/wait.mjs';
import { controlGet, look, Narrator } from './demo/watch.mjs';

const hostDist = fileURLToPath(new URL('../packages/host/dist/', import.meta.url));
const ROUTERCTL = fileURLToPath(new URL('../packages/cli/dist/routerctl.js', import.meta.url));
for (const f of [join(hostDist, 'testing.js'), ROUTERCTL, OBSERVER, AWS]) {
  if (!existsSync(f)) {
    console.error(`routerd demo: ${f} is missing — build first: npx -y pnpm@12.4.2 build`);
    process.exit(1);
  }
}
// `pnpm demo --execute`: the same two nodes, but the cloud runs the plan (scripts/demo-execute.mjs).
if (process.argv.includes('--execute')) {
  const { runExecuteDemo } = await import('./demo-execute.mjs');
  process.exit(await runExecuteDemo());
}
const { TestDaemon } = await import(join(hostDist, 'testing.js'));
const { generateSecret } = await import(join(hostDist, 'keys.js'));

const root = mkdtempSync(join(tmpdir(), 'routerd-demo-'));
const daemons = [];
let imds;
let neighbours;
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await Promise.all(daemons.map((d) => d.stop().catch(() => {})));
  imds?.close();
  neighbours?.destroy();
  rmSync(root, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.log(`\n${sig}: stopping both daemons and removing ${root}`);
    cleanup().then(() => process.exit(130));
  });
}

/** `routerctl trace <ref>` against one node, printed as an operator would see it. */
function printTrace(label, stateDir, ref) {
  const r = spawnSync(process.execPath, [ROUTERCTL, '--state-dir', stateDir, 'trace', ref], {
    encoding: 'utf8',
    env: { ...process.env, ROUTERD_SOCKET: '' },
  });
  console.log(`\n$ routerctl trace ${ref}   # on ${label}`);
  console.log((r.stdout || r.stderr).trimEnd().replace(/^/gm, '  '));
}

async function main() {
  const key = join(root, 'edge.key');
  writeFileSync(key, `${generateSecret()}\n`, { mode: 0o600 });
  const [onpremPort, cloudPort, statusPort] = [await freePort(), await freePort(), await freePort()];
  mkdirSync(join(root, 'neigh'));
  neighbours = neighbourSource(join(root, 'neigh'), { recordedOnly: process.argv.includes('--recorded') });
  imds = await startFakeImds();

  console.log('routerd federation — two-node demo\n');
  console.log(`  state         ${root} (removed at the end)`);
  console.log(
    `  on-prem       routerd-eventd on 127.0.0.1:${onpremPort}, ARP observer watching ${neighbours.kind}`,
  );
  console.log(
    `  cloud         routerd-eventd on 127.0.0.1:${cloudPort}, AWS plugin (instance metadata from a fake IMDSv2 at ${imds.url})`,
  );
  console.log(`  key           fresh HMAC key (Standard Webhooks signatures), ${key}`);
  console.log(
    `  hysteresis    claims are released ${GRACE_S}s after the last observation (30 min in production)\n`,
  );

  const cloud = await TestDaemon.start(
    cloudConfig(root, { port: cloudPort, onpremPort, key, imdsUrl: imds.url }),
  );
  daemons.push(cloud);
  const onprem = await TestDaemon.start(
    onpremConfig(root, { port: onpremPort, cloudPort, key, neighbours, statusPort }),
  );
  daemons.push(onprem);
  const page = onprem.logs.find((l) => l.msg === 'routerd-eventd ready')?.statusPage;
  console.log(`  status page   ${page} (on-prem's live status, read-only, while the demo runs)\n`);
  await until('both plugins to start', 30_000, async () => {
    const [a, b] = await Promise.all([
      controlGet(onprem.stateDir, '/v1/plugins'),
      controlGet(cloud.stateDir, '/v1/plugins'),
    ]);
    return [...a.plugins, ...b.plugins].every((p) => p.state === 'running');
  });

  const n = new Narrator();
  n.say('lan', 'client 10.88.60.9 appears on the on-prem LAN');
  neighbours.appear();
  const shown = new Set();
  await until('the claim, its plan and the acknowledgement', 30_000, async () => {
    const { actions } = await look(n, onprem.stateDir, cloud.stateDir);
    for (const a of actions) {
      if (shown.has(a.id)) continue;
      shown.add(a.id);
      const { plan } = await controlGet(cloud.stateDir, `/v1/actions/${encodeURIComponent(a.id)}`);
      n.say('cloud', `action plan ${a.id}: ${a.action} — planned, NOT executed (mode: ${plan.mode})`);
      for (const s of plan.steps)
        console.log(`                   ${s.mutating ? '$' : '?'} ${[s.tool, ...s.argv].join(' ')}`);
    }
    return shown.size > 0 && n.seen.size > 0 && [...n.seen].some((k) => k.startsWith('ack:'));
  });
  // The client's first observation: its journey is printed at the end, as `routerctl trace` tells it.
  const { eventId: journey } = await controlGet(onprem.stateDir, '/v1/trace?address=10.88.60.9');
  const render = await controlGet(cloud.stateDir, '/v1/dynamic/render');
  const claim = render.resources.find((r) => r.kind === 'RemoteAddressClaim');
  n.say(
    'cloud',
    `effective config now holds RemoteAddressClaim/${claim.metadata.name}: ${JSON.stringify(claim.spec)}`,
  );

  n.say('lan', 'client 10.88.60.9 leaves the LAN');
  neighbours.leave();
  let lastHeldNote = 0;
  await until('the claim to be released after its grace', 60_000, async () => {
    const { actions, parts } = await look(n, onprem.stateDir, cloud.stateDir);
    const claimPart = parts.find((p) => p.resources.some((r) => r.startsWith('RemoteAddressClaim/')));
    const expired =
      [...n.seen].some((k) => k.startsWith('run:') && k.includes('expired') === false) &&
      [...n.seen].some((k) => k.startsWith('cl:') && k.includes('.expired'));
    if (claimPart?.state === 'active' && expired) {
      if (Date.now() - lastHeldNote > 3000) {
        lastHeldNote = Date.now();
        const left = Math.max(0, (Date.parse(claimPart.expiresAt) - Date.now()) / 1000);
        n.say(
          'cloud',
          `claim still held (hysteresis): release in ${left.toFixed(1)}s unless the client is seen again`,
        );
      }
    }
    for (const a of actions) {
      if (shown.has(a.id)) continue;
      shown.add(a.id);
      const { plan } = await controlGet(cloud.stateDir, `/v1/actions/${encodeURIComponent(a.id)}`);
      n.say('cloud', `teardown plan ${a.id}: ${a.action} — planned, NOT executed (mode: ${plan.mode})`);
      for (const s of plan.steps)
        console.log(`                   ${s.mutating ? '$' : '?'} ${[s.tool, ...s.argv].join(' ')}`);
    }
    return claimPart?.state === 'released' && actions.some((a) => a.action === 'unassign-secondary-ip');
  });
  const after = await controlGet(cloud.stateDir, '/v1/dynamic/render');
  n.say(
    'cloud',
    `effective config holds ${after.resources.filter((r) => r.kind === 'RemoteAddressClaim').length} claims: released after the grace, exactly one unassign plan`,
  );
  printTrace('on-prem', onprem.stateDir, journey);
  printTrace('the cloud', cloud.stateDir, journey);
  console.log(
    '\nDone: observed → signed delivery → subscription run → claim + dry-run plan → acknowledgement; then a held, hysteretic teardown.',
  );
}

main()
  .then(async () => {
    await cleanup();
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(`\nrouterd demo failed: ${err.message}`);
    if (process.env.DEMO_DEBUG) {
      for (const d of daemons) {
        for (const path of [
          '/v1/subscriptions/runs',
          '/v1/plugins',
          '/v1/plugins/runs',
          '/v1/dynamic/parts',
        ]) {
          console.error(
            path,
            JSON.stringify(await controlGet(d.stateDir, path).catch((e) => String(e))).slice(0, 800),
          );
        }
      }
    }
    for (const d of daemons) {
      const tail = d.stderr
        .split('\n')
        .filter((l) => /"level":(40|50|60)/.test(l))
        .slice(-5);
      if (tail.length) console.error(tail.join('\n'));
    }
    await cleanup();
    process.exit(1);
  });
