/**
 * User and group names as the system's name service knows them (getent(1): files, LDAP, whatever
 * nsswitch says — Linux and FreeBSD both have it). Node only knows its own user (os.userInfo), and a key
 * file's owner must be named to say what to chown. No dependencies: routerctl keys uses it too.
 */
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';

/** The user the daemon is meant to run as (deploy/install.sh creates it, the unit names it). */
export const DAEMON_USER = 'routerd';

function getent(database: 'passwd' | 'group', key: string): string[] | undefined {
  try {
    const line = execFileSync('getent', [database, key], {
      encoding: 'utf8',
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const fields = line.split('\n')[0]?.split(':');
    return fields && fields.length >= 3 ? fields : undefined;
  } catch {
    return undefined; // not found (exit 2), or no getent: the caller falls back to the number
  }
}

/** `routerd` for a known uid, `uid 999` otherwise. */
export function userName(uid: number): string {
  return getent('passwd', String(uid))?.[0] ?? `uid ${uid}`;
}

/** `routerd` for a known gid, `gid 999` otherwise. */
export function groupName(gid: number): string {
  return getent('group', String(gid))?.[0] ?? `gid ${gid}`;
}

/** Whether a user of that name exists. */
export function userExists(name: string): boolean {
  return getent('passwd', name) !== undefined;
}

/** This process's user, by name when it has one. */
export function currentUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return userName(process.getuid?.() ?? -1);
  }
}
