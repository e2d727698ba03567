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

/** Columns padded to the widest cell; the last column is not padded. */
export function renderTable(header: string[], rows: string[][]): string {
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
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n')}\n`;
}
