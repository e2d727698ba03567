// What Linux says about a process: CPU used and memory held, from /proc. CPU time is steadier than wall
// time on a machine shared with other work, so per-event costs are read here.
import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // getconf CLK_TCK on Linux

/** CPU seconds (user + system) the process has used so far, from /proc/PID/stat. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * CPU used by each of `pids` from now on: the returned function gives, per process, the µs spent since
 * divided by `units` (events, calls), in the order of `pids`.
 */
export function cpuMeter(pids) {
  const start = pids.map(cpuSeconds);
  return (units) => pids.map((pid, i) => ((cpuSeconds(pid) - start[i]) * 1e6) / units);
}

/** A memory field of /proc/PID/status (VmRSS, VmHWM, …) in MiB. */
export function statusMiB(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}
