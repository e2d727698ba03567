/**
 * The doctor's checks of what key files hold (their modes are secret-file-mode's): every key file parses
 * now — the daemon read it at its last start or reload, and the next one reads it again — and no
 * Ed25519 peer is about to be rotated out: a public key whose `notAfter` is within ROTATION_WARNING_MS
 * (7 days) while the peer has no later key listed here, or still signs only with that key.
 */
import { ROTATION_WARNING_MS } from '@routerd/host-wire/keys';
import type { FederationConfig } from '../config/index.js';
import type { VerifiedKey } from '../federation/verified-key.js';
import { type Check, day, daysLeft, flag, pass } from './checks.js';

/** A key file as it parses now: the fingerprint and notAfter of each key, or why it does not parse. */
export type KeyContents =
  | {
      kind: 'secret' | 'ed25519-private' | 'ed25519-public';
      keys: { fingerprint: string; notAfter?: number }[];
    }
  | { kind: 'secret' | 'ed25519-private' | 'ed25519-public'; error: string };

/** The key that last verified a sender's request: the longest-lived of its keys that matched. */
export type { VerifiedKey };

type KeyKind = KeyContents['kind'];

const MAKE: Record<KeyKind, string> = {
  secret: 'routerctl keys generate --out FILE makes a new one, which every peer then needs',
  'ed25519-private':
    'routerctl keys generate --type ed25519 --out FILE makes a new one; its public key (routerctl keys public FILE) then goes to every peer',
  'ed25519-public':
    "write the peer's whpk_ lines (routerctl keys public on the peer prints them), one per line",
};

/** Every key file the config names, with its kind. */
function keyFiles(config: FederationConfig): Map<string, KeyKind> {
  const files = new Map<string, KeyKind>();
  for (const { resource: g } of config.groups) {
    const auth = g.spec.auth;
    if (auth?.mode === 'hmac') files.set(auth.secretFile, 'secret');
    else if (auth) files.set(auth.privateKeyFile, 'ed25519-private');
  }
  for (const { resource: p } of config.peers) {
    const auth = p.spec.auth;
    if (auth && 'secretFile' in auth) files.set(auth.secretFile, 'secret');
    else if (auth) files.set(auth.publicKeyFile, 'ed25519-public');
  }
  return files;
}

export function keyFileChecks(
  config: FederationConfig,
  contents: (path: string, kind: KeyKind) => KeyContents,
): Check[] {
  return [...keyFiles(config)].map(([file, kind]) => {
    const c = contents(file, kind);
    if ('error' in c)
      return flag(
        'FAIL',
        'key-file',
        file,
        `does not parse now: ${c.error} — the next start or reload fails`,
        `fix the line named (${MAKE[kind].replace('FILE', file)}), then reload (systemctl reload routerd-eventd)`,
      );
    const what =
      kind === 'ed25519-public' ? 'public key' : kind === 'secret' ? 'shared secret' : 'private key';
    return pass(
      'key-file',
      file,
      `${c.keys.length} ${what}${c.keys.length === 1 ? '' : 's'} (${c.keys.map((k) => k.fingerprint).join(', ')})`,
    );
  });
}

export function peerKeyRotationChecks(
  config: FederationConfig,
  contents: (path: string, kind: KeyKind) => KeyContents,
  verified: readonly VerifiedKey[],
  now: number,
): Check[] {
  const checks: Check[] = [];
  for (const { resource: p } of config.peers) {
    const auth = p.spec.auth;
    if (!auth || !('publicKeyFile' in auth)) continue;
    const c = contents(auth.publicKeyFile, 'ed25519-public');
    if ('error' in c) continue; // key-file says why
    const peer = p.metadata.name;
    const node = p.spec.nodeName;
    const file = auth.publicKeyFile;
    const live = c.keys.filter((k) => k.notAfter === undefined || k.notAfter > now);
    const soon = live.filter((k) => k.notAfter !== undefined && k.notAfter <= now + ROTATION_WARNING_MS);
    const addNew = `on ${node}: routerctl keys generate --type ed25519 --out KEYFILE --rotate and reload it; here: add the whpk_ line it prints to ${file} and reload (systemctl reload routerd-eventd)`;
    if (live.length === 0) {
      checks.push(
        flag(
          'FAIL',
          'peer-key-rotation',
          peer,
          `every public key listed for ${node} is past its notAfter: nothing ${node} sends is accepted`,
          addNew,
        ),
      );
      continue;
    }
    const last = Math.max(...live.map((k) => k.notAfter ?? Number.POSITIVE_INFINITY));
    if (soon.length === live.length) {
      checks.push(
        flag(
          'WARN',
          'peer-key-rotation',
          peer,
          `every public key listed for ${node} is rotated out by ${day(last)} (in ${daysLeft(last, now)}), and no later key is listed: from then on nothing ${node} sends is accepted`,
          addNew,
        ),
      );
      continue;
    }
    const seen = verified.find((v) => v.group === p.spec.groupRef && v.sender === node);
    const stale = seen && soon.find((k) => k.fingerprint === seen.fingerprint);
    if (stale?.notAfter !== undefined) {
      checks.push(
        flag(
          'WARN',
          'peer-key-rotation',
          peer,
          `${node} still signs only with key ${stale.fingerprint}, rotated out here on ${day(stale.notAfter)} (in ${daysLeft(stale.notAfter, now)})`,
          `on ${node}: put its new key in its private key file (routerctl keys generate --type ed25519 --out KEYFILE --rotate) and reload it, so it signs with both keys before ${day(stale.notAfter)}`,
        ),
      );
      continue;
    }
    checks.push(
      pass(
        'peer-key-rotation',
        peer,
        soon.length === 0
          ? `${live.length} public key${live.length === 1 ? '' : 's'} for ${node}, none rotated out within 7 days`
          : `${soon.map((k) => `${k.fingerprint} is rotated out on ${day(k.notAfter!)}`).join('; ')}; ${node} has a later key listed${seen ? ` and signs with ${seen.fingerprint}` : ''}`,
      ),
    );
  }
  return checks;
}
