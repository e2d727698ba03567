// @routerd/host as an operator installs it with plain npm, native build included (its own directory: the
// better-sqlite3 compile happens once, here), then the daemon started from its bin on loopback.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, expect, inject, it } from 'vitest';
import { emptyProject, npmInstall, routerdSources, userEnv } from '../lib/consumer.mjs';
import { withOurDependencies } from '../lib/workspace.mjs';

const tarballs = new Map(Object.entries(inject('tarballs')));
const dir = join(inject('workDir'), 'host');
/** @routerd/host and ours it depends on (the SDK, @routerd/host-wire): each from its tarball. */
const ours = withOurDependencies(['@routerd/host']);

beforeAll(async () => {
  emptyProject(dir);
  await npmInstall(dir, ours, tarballs, {
    // No prebuilt binary can be fetched here (the registry is the only network): go straight to the compile.
    npm_config_build_from_source: 'true',
    JOBS: 'max',
  });
  // A compile on a loaded 2-core machine can take minutes; on an idle one, about 75 s.
}, 900_000);

it('takes @routerd/host and the packages of ours it needs from their tarballs', () => {
  expect(ours).toEqual(['@routerd/host', '@routerd/host-wire', '@routerd/plugin-sdk']);
  const sources = routerdSources(dir);
  expect(sources.map((s) => s.path).sort()).toEqual(ours.map((n) => `node_modules/${n}`));
  for (const s of sources) expect(s.resolved, s.path).toMatch(/^file:/);
});

it('routerd-eventd from the installed @routerd/host starts on loopback with a temporary state dir', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 }); // the daemon refuses a state dir others can read
  const config = join(dir, 'federation.yaml');
  writeFileSync(
    config,
    [
      'apiVersion: federation.routerd.net/v1alpha1',
      'kind: EventGroup',
      'metadata:',
      '  name: lab',
      'spec:',
      '  nodeName: onprem-1',
      `  listen: { address: 127.0.0.1, port: ${port} }`,
      '',
    ].join('\n'),
  );
  const daemon = spawn(
    join(dir, 'node_modules/.bin/routerd-eventd'),
    ['--config', config, '--state-dir', stateDir],
    { cwd: dir, env: userEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
  const seen: string[] = [];
  const ready = await new Promise<boolean>((resolve) => {
    const lines = createInterface({ input: daemon.stderr! });
    lines.on('line', (line) => {
      seen.push(line);
      if (/"msg":"routerd-eventd ready"/.test(line)) resolve(true);
    });
    lines.once('close', () => resolve(false));
  });
  try {
    expect(ready, seen.join('\n')).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/v1/health`)).status).toBe(200);
  } finally {
    daemon.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
});
