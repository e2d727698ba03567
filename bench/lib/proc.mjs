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

/** A memory field of /proc/PID/status (VmRSS, VmHWM, …) in MiB. */
export function statusMiB(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}
