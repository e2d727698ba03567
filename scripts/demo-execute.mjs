// `pnpm demo --execute`: the two-node demo with the cloud actually captured. The cloud daemon's
// ActionPolicy/aws has an `auto` rule for the AWS plugin's assign plan, so its executor runs the real AWS
// CLI v2 (/usr/bin/aws, by absolute path) against the local EC2 Query API endpoint of tests/ec2-endpoint
// (fake credentials from a profile file, no network beyond loopback). It prints the ENI's addresses
// before and after, the steps the journal recorded, and the capture-ready signal
// (routerd.provider.action.succeeded) arriving on-prem. Everything lives in a temporary directory that
// is removed at the end; Ctrl-C leaves nothing running.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudConfig, onpremConfig } from './demo/configs.mjs';
import { startFakeImds } from './demo/fake-imds.mjs';
import { neighbourSource } from './demo/neighbours.mjs';
import { freePort, until } from './demo/wait.mjs';
import { controlGet, look, Narrator } from './demo/watch.mjs';

/** The CLI the executor runs. Overridable only so the "missing CLI" message can be tested. */
const AWS_CLI = process.env.ROUTERD_DEMO_AWS_CLI || '/usr/bin/aws';
/** The ENI the demo's fake IMDS reports (scripts/demo/fake-imds.mjs): the plans name it. */
const ENI = 'eni-0de0123456789abcd';
const CLIENT = '10.88.60.9';
const SUCCEEDED = 'routerd.provider.action.succeeded';
const hostDist = fileURLToPath(new URL('../packages/host/dist/', import.meta.url));
const EC2_ENDPOINT = fileURLToPath(new URL('../tests/ec2-endpoint/dist/index.js', import.meta.url));

/**
 * ActionPolicy/aws as actions-daemon.test.ts writes it: the tool by absolute path, the identity from a
 * profile file (the AWS documentation's example keys), one attempt per CLI run (the executor retries).
 * Only the assign runs by itself; the forwarding plan (medium risk) waits for a person.
 */
function actionPolicy(root, endpointUrl) {
  writeFileSync(
    join(root, 'credentials'),
    '[routerd-demo]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    { mode: 0o600 },
  );
  writeFileSync(join(root, 'aws-config'), '[profile routerd-demo]\nregion = ap-northeast-1\n');
  return `---
apiVersion: config.routerd.net/v1alpha1
kind: ActionPolicy
metadata: { name: aws }
spec:
  tools: { aws: ${AWS_CLI} }
  env:
    AWS_PROFILE: routerd-demo
    AWS_SHARED_CREDENTIALS_FILE: ${join(root, 'credentials')}
    AWS_CONFIG_FILE: ${join(root, 'aws-config')}
    AWS_PAGER: ''
    AWS_MAX_ATTEMPTS: '1'
  endpointUrl: ${endpointUrl}
  retry: { attempts: 3, baseDelay: 200ms, maxDelay: 2s }
  verify: { timeout: 30s, interval: 200ms }
  rules: [{ action: assign-secondary-ip, phase: provision, risk: [low], mode: auto }]
`;
}

export async function runExecuteDemo() {
  if (!existsSync(AWS_CLI)) {
    console.error(
      `routerd demo --execute: ${AWS_CLI} is missing. It runs the real AWS CLI v2 against a local EC2 endpoint; install it with:\n  sudo apt-get install awscli`,
    );
    return 1;
  }
  if (!existsSync(EC2_ENDPOINT)) {
    console.error(
      `routerd demo --execute: ${EC2_ENDPOINT} is missing — build first: npx -y pnpm@12.4.2 build`,
    );
    return 1;
  }
  const { TestDaemon } = await import(join(hostDist, 'testing.js'));
  const { generateSecret } = await import(join(hostDist, 'keys.js'));
  const { startEc2Endpoint } = await import(EC2_ENDPOINT);

  const root = mkdtempSync(join(tmpdir(), 'routerd-demo-'));
  const daemons = [];
  let imds;
  let ec2;
  let neighbours;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(daemons.map((d) => d.stop().catch(() => {})));
    imds?.close();
    await ec2?.close().catch(() => {});
    neighbours?.destroy();
    rmSync(root, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      console.log(`\n${sig}: stopping both daemons and the EC2 endpoint, removing ${root}`);
      cleanup().then(() => process.exit(130));
    });
  }

  try {
    const key = join(root, 'edge.key');
    writeFileSync(key, `${generateSecret()}\n`, { mode: 0o600 });
    const [onpremPort, cloudPort] = [await freePort(), await freePort()];
    mkdirSync(join(root, 'neigh'));
    neighbours = neighbourSource(join(root, 'neigh'), { recordedOnly: process.argv.includes('--recorded') });
    imds = await startFakeImds();
    ec2 = await startEc2Endpoint({
      enis: [{ id: ENI, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.4' }],
    });
    const addresses = () => ec2.state.addressesOf(ENI).join(', ');

    console.log('routerd federation — two-node demo, executing the plan\n');
    console.log(`  state         ${root} (removed at the end)`);
    console.log(
      `  on-prem       routerd-eventd on 127.0.0.1:${onpremPort}, ARP observer watching ${neighbours.kind}`,
    );
    console.log(
      `  cloud         routerd-eventd on 127.0.0.1:${cloudPort}, AWS plugin, ActionPolicy/aws: assign on auto`,
    );
    console.log(`  EC2           local EC2 Query API endpoint at ${ec2.url} (tests/ec2-endpoint)`);
    console.log(`  tool          ${AWS_CLI} --endpoint-url ${ec2.url}, fake credentials in a profile file\n`);
    console.log(`  ${ENI} before: ${addresses()}\n`);

    const cloudFiles = cloudConfig(root, { port: cloudPort, onpremPort, key, imdsUrl: imds.url });
    appendFileSync(cloudFiles.configFiles[0], actionPolicy(root, ec2.url));
    const cloud = await TestDaemon.start(cloudFiles);
    daemons.push(cloud);
    const onprem = await TestDaemon.start(
      onpremConfig(root, { port: onpremPort, cloudPort, key, neighbours }),
    );
    daemons.push(onprem);
    await until('both plugins to start', 30_000, async () => {
      const [a, b] = await Promise.all([
        controlGet(onprem.stateDir, '/v1/plugins'),
        controlGet(cloud.stateDir, '/v1/plugins'),
      ]);
      return [...a.plugins, ...b.plugins].every((p) => p.state === 'running');
    });

    const n = new Narrator();
    n.say('lan', `client ${CLIENT} appears on the on-prem LAN`);
    neighbours.appear();
    let assign;
    let outcome;
    await until('the executed assign and its signal on-prem', 90_000, async () => {
      await look(n, onprem.stateDir, cloud.stateDir);
      const { executions } = await controlGet(cloud.stateDir, '/v1/executions');
      for (const x of [...executions].reverse())
        n.once(
          `x:${x.id}:${x.state}:${x.stepIndex}`,
          'cloud',
          `execution ${x.id} (${x.action}): ${x.state}${x.state === 'running' ? ` step ${x.stepIndex + 1}` : ''}${x.reason ? ` — ${x.reason}` : ''}`,
        );
      assign = executions.find((x) => x.action === 'assign-secondary-ip');
      if (assign?.state === 'failed' || assign?.state === 'held-elsewhere')
        throw new Error(`the assign ended ${assign.state}: ${assign.reason}`);
      const { events } = await controlGet(
        onprem.stateDir,
        `/v1/events?type=${SUCCEEDED}&includeExpired=true`,
      );
      outcome = events.find((e) => e.sourceNode === 'cloud');
      if (outcome)
        n.once(
          'signal',
          'on-prem',
          `capture-ready: ${SUCCEEDED} from cloud — ${outcome.subject} is now held by ${outcome.payload.nic} (execution ${outcome.payload.execution}, ${outcome.payload.state})`,
        );
      return assign?.state === 'succeeded' && outcome !== undefined;
    });

    console.log(`\n  ${ENI} after:  ${addresses()}`);
    const { execution } = await controlGet(cloud.stateDir, `/v1/executions/${encodeURIComponent(assign.id)}`);
    console.log(
      `\nThe journal of ${execution.id} (${execution.state}, approved by ${execution.approvedBy}):`,
    );
    for (const s of execution.steps)
      console.log(
        `  ${s.step.padEnd(22)} #${s.attempt} exit ${String(s.exitCode).padEnd(3)} ${s.outcome.padEnd(13)} ${String(Math.round(s.durationMs)).padStart(5)}ms  $ ${[AWS_CLI, ...s.argv].join(' ')}`,
      );
    const assigns = ec2.calls.filter((c) => c.action === 'AssignPrivateIpAddresses' && c.status === 200);
    console.log(`\n  the EC2 endpoint saw ${assigns.length} AssignPrivateIpAddresses`);
    const waiting = (await controlGet(cloud.stateDir, '/v1/executions?state=awaiting-approval')).executions;
    for (const x of waiting)
      console.log(
        `  ${x.id} (${x.action}, ${x.risk} risk) waits for a person: routerctl action approve ${x.id}`,
      );
    console.log(
      '\nDone: observed on-prem → claim → the real aws CLI assigned the address → verified → capture-ready signal on-prem.',
    );
    await cleanup();
    return 0;
  } catch (err) {
    console.error(`\nrouterd demo --execute failed: ${err.message}`);
    for (const d of daemons) {
      const tail = d.stderr
        .split('\n')
        .filter((l) => /"level":(40|50|60)/.test(l))
        .slice(-5);
      if (tail.length) console.error(tail.join('\n'));
    }
    await cleanup();
    return 1;
  }
}
