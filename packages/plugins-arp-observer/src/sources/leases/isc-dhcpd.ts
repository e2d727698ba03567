import { isIPv4 } from '@routerd/plugin-sdk';
import { normaliseMac } from '../neighbour-entry.js';
import { ParseCollector, type ParseResult } from '../parse-result.js';
import type { Lease } from './lease.js';

type Token = { text: string; quoted: boolean; line: number };

/** Punctuation only counts outside quotes: `uid "…;{…"` is one value. */
const is = (t: Token | undefined, punct: '{' | '}' | ';') => t !== undefined && !t.quoted && t.text === punct;

/** Words, quoted strings (with backslash escapes) and the punctuation `{ } ;`; `#` comments dropped. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push({ text: c, quoted: false, line });
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        if (text[i] === '\n') line++;
        s += text[i];
        i++;
      }
      i++; // closing quote (or end of text: the block is then unterminated and skipped below)
      tokens.push({ text: s, quoted: true, line });
    } else {
      let s = '';
      while (i < text.length && !/[\s{};"#]/.test(text[i]!)) s += text[i++];
      tokens.push({ text: s, quoted: false, line });
    }
  }
  return tokens;
}

/** `W YYYY/MM/DD HH:MM:SS` (UTC), `epoch N` (db-time-format local), or `never`. undefined = unreadable. */
function parseLeaseTime(words: string[]): number | null | undefined {
  if (words.length === 1 && words[0] === 'never') return null;
  if (words.length === 2 && words[0] === 'epoch' && /^\d+$/.test(words[1]!)) return Number(words[1]) * 1000;
  if (words.length !== 3 || !/^\d$/.test(words[0]!)) return undefined;
  const d = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(words[1]!);
  const t = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(words[2]!);
  if (!d || !t) return undefined;
  const [year, month, day, hour, minute, second] = [d[1], d[2], d[3], t[1], t[2], t[3]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2024/13/45 over into 2025; a date that does not round-trip was not a date.
  const back = new Date(ms);
  const valid =
    back.getUTCMonth() === month - 1 && back.getUTCDate() === day && hour < 24 && minute < 60 && second < 61;
  return valid ? ms : undefined;
}

/** Read one `lease <ip> { … }` body: statements up to `;`, nested `{ … }` (e.g. `on expiry`) skipped. */
function readLeaseBody(address: string, statements: Token[][]): Lease | undefined {
  let endsAt: number | null | undefined;
  let bindingState: string | undefined;
  let mac: string | undefined;
  let hostname: string | undefined;
  for (const st of statements) {
    const words = st.map((t) => t.text);
    const [key, ...rest] = words;
    if (key === 'ends') {
      endsAt = parseLeaseTime(rest);
      if (endsAt === undefined) return undefined;
    } else if (key === 'starts' || key === 'tstp' || key === 'tsfp' || key === 'cltt' || key === 'atsfp') {
      if (parseLeaseTime(rest) === undefined) return undefined;
    } else if (key === 'binding' && rest[0] === 'state') {
      bindingState = rest[1];
    } else if (key === 'hardware' && rest.length === 2) {
      mac = rest[0] === 'ethernet' ? normaliseMac(rest[1]) : undefined;
      if (rest[0] === 'ethernet' && mac === undefined) return undefined;
    } else if (key === 'client-hostname' && st[1]?.quoted) {
      hostname = st[1].text;
    }
  }
  return {
    address,
    mac,
    hostname,
    endsAt: endsAt === undefined ? null : endsAt,
    // dhcpd writes `binding state` since 3.0; a record without one is taken at its `ends` time.
    bound: bindingState === undefined || bindingState === 'active',
  };
}

/**
 * Parse ISC dhcpd's `dhcpd.leases` (dhcpd.leases(5)): a log of `lease <ip> { starts …; ends …; binding
 * state active|free|…; hardware ethernet <mac>; client-hostname "…"; }` blocks where the last block for an
 * address is the current one (the caller keeps the last per address). Times are UTC unless
 * `db-time-format local` wrote `epoch N;`. Other top-level statements (server-duid, failover state, host
 * declarations, lease6 blocks) are skipped silently; a lease block that cannot be read is skipped and counted.
 */
export function parseIscDhcpdLeases(text: string): ParseResult<Lease> {
  const out = new ParseCollector<Lease>();
  const tokens = tokenize(text);
  let i = 0;
  while (i < tokens.length) {
    // One top-level statement: words up to `;` or a `{ … }` block.
    const head: Token[] = [];
    while (i < tokens.length && !is(tokens[i], ';') && !is(tokens[i], '{')) head.push(tokens[i++]!);
    const opener = tokens[i++];
    if (opener === undefined || is(opener, ';')) continue;
    const statements: Token[][] = [];
    let current: Token[] = [];
    let depth = 1;
    while (i < tokens.length && depth > 0) {
      const t = tokens[i++]!;
      // A new `lease … {` where a statement should start: this block lost its `}`. Stop here so one
      // damaged block costs one lease, not every lease after it.
      if (depth === 1 && current.length === 0 && t.text === 'lease' && !t.quoted && is(tokens[i + 1], '{')) {
        i--;
        break;
      }
      if (is(t, '{')) depth++;
      else if (is(t, '}')) depth--;
      else if (depth === 1 && is(t, ';')) {
        statements.push(current);
        current = [];
      } else if (depth === 1) current.push(t);
    }
    const isLease = head[0]?.text === 'lease' && !head[0].quoted;
    if (!isLease) continue;
    const label = `${head.map((t) => t.text).join(' ')} { (line ${head[0]!.line})`;
    const address = head[1]?.text ?? '';
    const lease =
      depth === 0 && head.length === 2 && isIPv4(address) ? readLeaseBody(address, statements) : undefined;
    if (lease) out.add(lease);
    else out.skip(label);
  }
  return out.result();
}
