/**
 * Finding what a plugin left running, from /proc, where no cgroup holds the plugin: the processes of its
 * process group, and those that left the group (setsid()) but still carry the plugin's environment
 * marker. A process that leaves the group and also drops its environment is not found: that is the
 * limit of running without a cgroup (docs/protocol.md § 4).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A process the host found still running after the plugin exited, and killed. */
export interface LeftBehind {
  pid: number;
  /** Its command line (at most 200 characters), or its name if the command line cannot be read. */
  command: string;
}

/** The variable that marks every process a PluginProcess starts: `ROUTERD_PLUGIN_INSTANCE=<id>`. */
export const INSTANCE_ENV = 'ROUTERD_PLUGIN_INSTANCE';

export function describeProcess(pid: number): LeftBehind {
  let command = '';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    // gone, or not ours to read
  }
  if (command === '') {
    try {
      command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      command = '?';
    }
  }
  return { pid, command: command.slice(0, 200) };
}

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as gone. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = procStat(pid);
  return stat === undefined || stat.state !== 'Z';
}

function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, , pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state ?? '', pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/**
 * Live processes other than this one that are in process group `pgid` or whose environment holds
 * `INSTANCE_ENV=<instance>`. Reading another user's environment needs root; a non-root host finds
 * its own user's processes, which are the only ones it could kill anyway.
 */
export function findPluginProcesses(pgid: number, instance: string): LeftBehind[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const marker = `\0${INSTANCE_ENV}=${instance}\0`;
  const found: LeftBehind[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const stat = procStat(pid);
    if (stat === undefined || stat.state === 'Z') continue;
    if (stat.pgrp === pgid || environHas(pid, marker)) found.push(describeProcess(pid));
  }
  return found;
}

function environHas(pid: number, marker: string): boolean {
  try {
    return `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(marker);
  } catch {
    return false;
  }
}
