// The layer check proven on what it forbids: each rule of .dependency-cruiser.cjs fails on a small tree that
// breaks it and passes on the same tree without the offending import; the real packages/host/src passes, and
// fails as soon as one import closes a folder cycle.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLayers, repoRoot, writeTree } from './depcruise.js';

const dirs: string[] = [];
const tempTree = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'routerd-layers-'));
  dirs.push(dir);
  writeTree(dir, files);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const host = 'packages/host/src';
/** Every layer in a few lines, each importing what it may. */
const allowed: Record<string, string> = {
  [`${host}/clock.ts`]: 'export const now = () => 0;\n',
  [`${host}/store/events.ts`]: "import { now } from '../clock.js';\nexport const stored = now();\n",
  [`${host}/events/emit.ts`]:
    "import { stored } from '../store/events.js';\nexport const emit = () => stored;\n",
  [`${host}/federation/peer.ts`]: "import { emit } from '../events/emit.js';\nexport const peer = emit;\n",
  [`${host}/control/app.ts`]:
    "import type { Event } from '@routerd/plugin-sdk';\nimport { peer } from '../federation/peer.js';\nexport const app = (e: Event) => [e, peer];\n",
  [`${host}/daemon/daemon.ts`]: "import { app } from '../control/app.js';\nexport { app };\n",
  'packages/cli/src/main.ts':
    "import { ControlRoutes } from '@routerd/host-wire/constants';\nexport const routes = ControlRoutes;\n",
  'packages/host-wire/src/index.ts':
    "import { createHash } from 'node:crypto';\nimport { Event } from '@routerd/plugin-sdk';\nimport { type } from 'arktype';\nexport const X = [createHash, Event, type];\n",
  'packages/plugins-aws/src/plugin.ts':
    "import { definePlugin } from '@routerd/plugin-sdk/server';\nexport { definePlugin };\n",
  'packages/plugin-sdk/src/index.ts': "import { type } from 'arktype';\nexport { type };\n",
};

/** One forbidden import per rule: the file it is added to, and what it imports. */
const forbidden: [rule: string, file: string, source: string][] = [
  [
    'host-store-imports',
    `${host}/store/events.ts`,
    "import { emit } from '../events/emit.js';\nexport { emit };\n",
  ],
  [
    'host-folder-in-the-map',
    `${host}/routing/route.ts`,
    "import { now } from '../clock.js';\nexport { now };\n",
  ],
  [
    'host-store-knows-no-http',
    `${host}/store/http.ts`,
    "import { request } from 'node:http';\nexport { request };\n",
  ],
  [
    'host-root-helpers-import-no-folder',
    `${host}/metrics.ts`,
    "import { peer } from './federation/peer.js';\nexport { peer };\n",
  ],
  [
    'host-imports-no-plugin-or-cli',
    `${host}/control/aws.ts`,
    "import plugin from '@routerd/plugin-aws';\nexport { plugin };\n",
  ],
  [
    'cli-never-imports-the-host',
    'packages/cli/src/daemon.ts',
    "import { Daemon } from '@routerd/host';\nexport { Daemon };\n",
  ],
  [
    'wire-imports-only-sdk-and-arktype',
    'packages/host-wire/src/http.ts',
    "import express from 'express';\nexport { express };\n",
  ],
  [
    'plugins-and-conformance-import-only-the-sdk',
    'packages/plugins-aws/src/wire.ts',
    "import { ControlRoutes } from '@routerd/host-wire';\nexport { ControlRoutes };\n",
  ],
  [
    'sdk-imports-no-routerd-package',
    'packages/plugin-sdk/src/wire.ts',
    "import { ControlRoutes } from '@routerd/host-wire';\nexport { ControlRoutes };\n",
  ],
];

describe('the layer check on a small tree laid out like the repository', () => {
  it('passes the tree where every import is allowed', async () => {
    const result = await checkLayers(tempTree(allowed), ['packages']);
    expect(result.violations).toEqual([]);
    expect(result.code).toBe(0);
  });

  it.each(forbidden)('fails %s on the one import that breaks it', async (rule, file, source) => {
    const result = await checkLayers(tempTree({ ...allowed, [file]: source }), ['packages']);
    expect(result.code).not.toBe(0);
    expect(result.violations.filter((v) => v.rule === rule).map((v) => v.from)).toEqual([file]);
  });

  it('names a folder cycle with its folders: store/ → events/ → store/', async () => {
    const cyclic = { ...allowed, [`${host}/store/events.ts`]: forbidden[0]![2] };
    const { violations } = await checkLayers(tempTree(cyclic), ['packages']);
    const cycles = violations.filter((v) => v.rule === 'host-no-folder-cycles');
    expect(cycles.length).toBeGreaterThan(0);
    for (const c of cycles) expect(new Set(c.cycle)).toEqual(new Set([`${host}/events`, `${host}/store`]));
  });
});

describe('the real packages/host/src', () => {
  const copyOfHost = () => {
    const dir = tempTree({});
    cpSync(join(repoRoot, host), join(dir, host), { recursive: true });
    return dir;
  };

  it('passes as it is', async () => {
    const result = await checkLayers(copyOfHost(), [host]);
    expect(result.violations).toEqual([]);
  });

  it('fails once one import closes a folder cycle (store/ importing events/)', async () => {
    const dir = copyOfHost();
    writeTree(dir, {
      [`${host}/store/cycle.ts`]:
        "import { EmitPipeline } from '../events/emit.js';\nexport { EmitPipeline };\n",
    });
    const result = await checkLayers(dir, [host]);
    expect(result.code).not.toBe(0);
    expect(result.violations.map((v) => v.rule)).toEqual(expect.arrayContaining(['host-no-folder-cycles']));
    expect(result.violations.filter((v) => v.rule === 'host-store-imports').map((v) => v.from)).toEqual([
      `${host}/store/cycle.ts`,
    ]);
  });
});
