import { isIPv4 } from '@routerd/plugin-sdk';
import { type NeighbourEntry, normaliseMac } from './neighbour-entry.js';

const NUD_STATES = new Set([
  'INCOMPLETE',
  'REACHABLE',
  'STALE',
  'DELAY',
  'PROBE',
  'FAILED',
  'NOARP',
  'PERMANENT',
  'NONE',
]);
/** Keywords followed by a value that we do not need (printed with -s or by newer iproute2). */
const KEYWORDS_WITH_VALUE = new Set(['ref', 'probes', 'protocol', 'vni', 'port', 'via', 'nhid', 'src_vni']);

export type MonitorLine =
  | { kind: 'entry'; entry: NeighbourEntry }
  /** Lines that carry nothing for IPv4 presence: `miss` requests, IPv6, timestamps. */
  | { kind: 'ignored' }
  /** A line we could not read: its event may be lost, so the caller resyncs. */
  | { kind: 'malformed'; line: string }
  /** iproute2 printed that the kernel dropped messages (ENOBUFS): events were lost. */
  | { kind: 'overrun'; line: string };

/**
 * `-s` prints the kernel's ages as `used <used>/<confirmed>/<updated>` in whole seconds. iproute2 6.1
 * glues the next keyword on (`used 0/60/0probes 0`), later versions put a space before `probes`.
 */
const AGES = /^(\d+)\/(\d+)\/(\d+)(probes)?$/;

/**
 * Parse one line of `ip -4 -s monitor neigh` read at `receivedAt` (ms epoch; the `-s` ages are relative
 * to it). Its output is text even with `-j` (ipmonitor.c never opens the JSON writer):
 * `[Deleted |miss ]<dst> [dev <if>] [lladdr <mac>] [flags…] [ref <n>] [used <u>/<c>/<up>] [probes <n>] <STATE>…`.
 */
export function parseMonitorLine(raw: string, receivedAt: number): MonitorLine {
  const line = raw.trim();
  if (line === '') return { kind: 'ignored' };
  if (/netlink receive error|No buffer space/i.test(line)) return { kind: 'overrun', line };
  if (line.startsWith('Timestamp:')) return { kind: 'ignored' };
  const tokens = line.split(/\s+/);
  // `ip monitor all` prefixes the object kind; accept it so a broader monitor parses too.
  if (tokens[0] === '[NEIGH]') tokens.shift();
  let deleted = false;
  if (tokens[0] === 'miss') return { kind: 'ignored' };
  if (tokens[0] === 'Deleted' || tokens[0] === 'delete') {
    deleted = true;
    tokens.shift();
  }
  const dst = tokens.shift();
  if (dst === undefined) return { kind: 'malformed', line };
  if (!isIPv4(dst)) {
    // IPv6 destinations are expected when -4 is not honoured; anything else is not a monitor line.
    return dst.includes(':') ? { kind: 'ignored' } : { kind: 'malformed', line };
  }
  const entry: NeighbourEntry = { address: dst, states: [], flags: [], deleted };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === 'dev') entry.interface = tokens[++i];
    else if (t === 'lladdr') entry.mac = normaliseMac(tokens[++i]);
    else if (NUD_STATES.has(t)) entry.states.push(t);
    else if (t === 'used') {
      const ages = AGES.exec(tokens[++i] ?? '');
      if (!ages) return { kind: 'malformed', line };
      entry.confirmedAt = receivedAt - Number(ages[2]) * 1000;
      entry.updatedAt = receivedAt - Number(ages[3]) * 1000;
      if (ages[4]) i++; // the glued `probes` keyword's value
    } else if (KEYWORDS_WITH_VALUE.has(t)) i++;
    else if (/^[a-z_]+$/.test(t)) entry.flags.push(t);
    else return { kind: 'malformed', line };
  }
  if (!deleted && entry.states.length === 0) return { kind: 'malformed', line };
  if (!deleted && entry.interface === undefined) return { kind: 'malformed', line };
  return { kind: 'entry', entry };
}
