/** Rendering for `-o table|json|yaml`. JSON and YAML show the envelope's own camelCase field names. */
import type { Event } from '@routerd/plugin-sdk';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export async function renderData(format: 'json' | 'yaml', value: unknown): Promise<string> {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  // Loaded only when asked for: most invocations never print YAML, and start-up time counts.
  const { stringify } = await import('yaml');
  return stringify(value);
}

/**
 * Control characters (C0, DEL, C1) and bidirectional overrides, written as visible escapes. Subjects,
 * payloads, peer error messages and plugin output come from other machines: printed raw, an ESC or CSI
 * sequence would drive the operator's terminal (rewrite the screen, retitle it, fake a row), and a
 * newline would add a row of its own. JSON output stays exact JSON; only text for a terminal is escaped.
 */
// \p{Cc} is C0, DEL and C1; the rest are the bidirectional marks, embeddings, overrides and isolates.
const UNPRINTABLE = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return (
      NAMED[c] ??
      (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
    );
  });
}

/** Columns padded to the widest cell; the last column is not padded. Every cell is made printable. */
export function renderTable(header: string[], values: string[][]): string {
  const rows = values.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function expiry(event: Event, now: number): string {
  if (event.expiresAt === undefined) return '-';
  return Date.parse(event.expiresAt) <= now ? `${event.expiresAt} (expired)` : event.expiresAt;
}

export function eventsTable(events: Event[], now = Date.now()): string {
  if (events.length === 0) return 'No events.\n';
  return renderTable(
    ['ID', 'TYPE', 'SUBJECT', 'SOURCE', 'OBSERVED', 'EXPIRES'],
    events.map((e) => [e.id, e.type, e.subject ?? '-', e.sourceNode, e.observedAt, expiry(e, now)]),
  );
}

/** One event, field by field, payload as compact JSON. */
export function eventDetail(event: Event, now = Date.now()): string {
  const rows: [string, string][] = [
    ['id', event.id],
    ['type', event.type],
    ['group', event.group],
    ['sourceNode', event.sourceNode],
    ['subject', event.subject ?? '-'],
    ['dedupeKey', event.dedupeKey ?? '-'],
    ['observedAt', event.observedAt],
    ['expiresAt', expiry(event, now)],
    ['payload', JSON.stringify(event.payload)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${printable(v)}`).join('\n')}\n`;
}
