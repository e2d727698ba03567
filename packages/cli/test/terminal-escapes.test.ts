// A peer's event carrying terminal escape sequences in its subject and payload, received by a real daemon
// over a signed request on loopback, then printed by the real routerctl: tables show the escapes as text,
// JSON keeps the exact bytes.
import { readFileSync } from 'node:fs';
import { parseSecretText } from '@routerd/host/keys';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The node and signed-request helpers of the system tests (tests/e2e), one copy for both packages.
import {
  freePort,
  keyFile,
  newRoot,
  routerctl,
  writeNode,
} from '../../../tests/e2e/test/support/federation.js';
import { cloudEvent, postSigned } from '../../../tests/e2e/test/support/receiver.js';

/** Clear the screen, retitle the terminal (OSC 0), a C1 CSI, a fake second row, a right-to-left override. */
const SUBJECT = 'lan/\x1b[2J\x1b]0;owned\x07\x9b31m\nfake-row  \u202eevil';
const PAYLOAD = { note: 'red \x1b[31mALERT\x1b[0m\r', plain: 'café' };
/** Any raw control character (C0, DEL, C1) or bidirectional override, line feeds between rows aside. */
const hasRaw = (text: string) => /[\p{Cc}\u202a-\u202e]/u.test(text.replaceAll('\n', ''));

let cloud: TestDaemon;
let id: string;

beforeAll(async () => {
  const root = newRoot();
  const key = keyFile(root);
  const port = await freePort();
  const node = writeNode(root, {
    name: 'cloud',
    port,
    key,
    peers: [{ name: 'onprem', port: await freePort() }],
  });
  cloud = await TestDaemon.start({ configFiles: [node.config], stateDir: node.stateDir });
  const event = cloudEvent({ type: 'acme.banner.seen', subject: SUBJECT, data: PAYLOAD });
  id = event.id;
  const answer = await postSigned(`http://127.0.0.1:${port}/v1/events`, {
    keys: parseSecretText(readFileSync(key, 'utf8')),
    body: JSON.stringify([event]),
  });
  expect(answer.body?.accepted).toEqual([id]);
});
afterAll(() => cloud?.stop());

const ctl = (...args: string[]) => {
  const r = routerctl(cloud.stateDir, 'federation', 'event', ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

describe('routerctl prints peer-supplied text safely', () => {
  it('event list: escapes control characters in the table, one line per event', () => {
    const table = ctl('list', '--type', 'acme.banner.seen');
    expect(hasRaw(table)).toBe(false);
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('lan/\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\nfake-row  \\u202eevil');
  });

  it('event get: escapes the subject and the payload', () => {
    const detail = ctl('get', id);
    expect(hasRaw(detail)).toBe(false);
    expect(detail).toContain('subject:    lan/\\x1b[2J');
    // JSON.stringify already writes C0 as \u001b; the C1 and bidirectional characters are escaped here.
    expect(detail).toContain('"note":"red \\u001b[31mALERT\\u001b[0m\\r"');
    expect(detail).toContain('café');
  });

  it('-o json keeps the exact text', () => {
    const [listed] = JSON.parse(ctl('list', '--type', 'acme.banner.seen', '-o', 'json'));
    expect(listed).toMatchObject({ id, subject: SUBJECT, payload: PAYLOAD });
    expect(JSON.parse(ctl('get', id, '-o', 'json'))).toMatchObject({ subject: SUBJECT, payload: PAYLOAD });
  });
});
