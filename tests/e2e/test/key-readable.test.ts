// Issue 13 item 5 with a real daemon running as the unprivileged `routerd` user (setpriv, as the unit's
// User= does) and routerctl run as root: a 0600 key file owned by root passes a mode check but cannot be
// read by the daemon — the doctor says so, naming the owner and the chown; `routerctl keys generate` run
// as root keeps a replaced file's owner, and names the chown for a file it leaves to root.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestDaemon } from '@routerd/host/testing';
import type { DoctorResponse } from '@routerd/host-wire';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, keyFile, newRoot, routerctl, writeNode } from './support/federation.js';

const USER = 'routerd';
let uid: number;
let gid: number;

/** The checkout's root: the daemon (packages/host/dist) and its node_modules live below it. */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Directories given o+x for this file's tests, with the mode to restore. */
const opened: { dir: string; mode: number }[] = [];

beforeAll(() => {
  if (spawnSync('getent', ['passwd', USER]).status !== 0)
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
  // The daemon runs as routerd from this checkout, which may sit below a directory only root may enter
  // (a clone under /root, or in a 0700 temporary directory): let others traverse (x only, no listing)
  // each directory on the way for the duration of these tests, and put the modes back afterwards.
  for (let dir = REPO; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      opened.push({ dir, mode });
    }
    if (dir === parse(dir).root) break;
  }
});
afterAll(() => {
  for (const { dir, mode } of opened.splice(0)) chmodSync(dir, mode);
});

const running: TestDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

function secretFileCheck(stateDir: string, key: string) {
  const r = routerctl(stateDir, 'doctor', 'federation', '--no-probe', '-o', 'json');
  const c = (JSON.parse(r.stdout) as DoctorResponse).checks.find(
    (x) => x.code === 'secret-file-mode' && x.subject === key,
  );
  if (!c) throw new Error(`no secret-file-mode check for ${key}: ${r.stdout}`);
  return c;
}

describe('a key file the daemon’s user cannot read', () => {
  it('root-owned 0600: the doctor FAILs naming the owner and the chown; keys generate keeps or names the owner', async () => {
    const root = newRoot();
    chmodSync(root, 0o755); // mkdtemp made it 0700: the daemon's user must reach its files
    const key = keyFile(root, 'edge.key');
    chownSync(key, uid, gid);
    const node = writeNode(root, { name: 'cloud', port: await freePort(), key, peers: [] });
    mkdirSync(node.stateDir, { mode: 0o700 });
    chownSync(node.stateDir, uid, gid);
    const daemon = await TestDaemon.start({
      configFiles: [node.config],
      stateDir: node.stateDir,
      prefix: ['setpriv', '--reuid', USER, '--regid', USER, '--init-groups'],
    });
    running.push(daemon);
    expect(statSync(join(node.stateDir, 'routerd.db')).uid).toBe(uid); // it really runs as routerd

    expect(secretFileCheck(node.stateDir, key)).toMatchObject({
      status: 'PASS',
      summary: 'mode 600, readable by the daemon',
    });

    // Rotated by root: the file is replaced, and keeps its owner, so the daemon can still read it.
    const rotate = routerctl(root, 'keys', 'generate', '--out', key, '--rotate');
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stderr).toMatch(
      new RegExp(`^wrote ${key} \\(mode 0600, owner routerd:\\S+ kept\\): new key first`),
    );
    expect(statSync(key).uid).toBe(uid);
    expect(secretFileCheck(node.stateDir, key).status).toBe('PASS');

    // Handed to root (a cp as root, say): still mode 600, which used to PASS — the daemon cannot read it.
    chownSync(key, 0, 0);
    const unreadable = secretFileCheck(node.stateDir, key);
    expect(unreadable).toEqual({
      code: 'secret-file-mode',
      status: 'FAIL',
      subject: key,
      summary: `the daemon's user routerd cannot read it: owned by root:root, mode 600 — the next start or reload fails (EACCES)`,
      advice: expect.stringMatching(new RegExp(`^run: chown routerd: ${key} \\(the mode stays 600`)),
    });
    // And so it is: the reload is refused with EACCES, the keys in force stay.
    const refusals = () => daemon.logs.filter((l) => /config reload refused/.test(l.msg)).length;
    daemon.signal('SIGHUP');
    await expect.poll(refusals, { timeout: 10_000 }).toBe(1);
    expect(JSON.stringify(daemon.logs.find((l) => /config reload refused/.test(l.msg)))).toMatch(
      /EACCES|permission denied/,
    );

    // keys generate as root over a root-owned file, or a new file: it says what to chown.
    const force = routerctl(root, 'keys', 'generate', '--out', key, '--force');
    expect(force.stderr).toBe(
      `wrote ${key} (mode 0600)\n${key} belongs to root, and routerd-eventd runs as routerd: run chown routerd: ${key}\n`,
    );

    // The advice, followed: PASS again.
    execFileSync('chown', [`${USER}:`, key]);
    expect(secretFileCheck(node.stateDir, key).status).toBe('PASS');
  }, 60_000);
});
