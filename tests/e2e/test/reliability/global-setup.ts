/**
 * Collects the scenario rows each test file writes (worker processes inherit ROUTERD_RELIABILITY_OUT),
 * prints the summary table and writes bench/results/reliability.json so bench/RESULTS.md shows it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioRecord } from './harness.js';

export default function setup(): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'routerd-reliability-'));
  process.env.ROUTERD_RELIABILITY_OUT = dir;
  return async () => {
    const rows = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ScenarioRecord);
    rmSync(dir, { recursive: true, force: true });
    if (rows.length === 0) return;
    printTable(rows);
    // bench/lib is plain JS outside this package: loaded by URL so the typecheck does not follow it.
    const stats = (await import(new URL('../../../../bench/lib/stats.mjs', import.meta.url).href)) as {
      writeResult(name: string, r: unknown): unknown;
    };
    const withRecovery = rows.filter((r) => r.recoveryMs !== undefined);
    stats.writeResult('reliability', {
      title: 'Reliability suite: recovery after each fault (issue 9)',
      command: 'pnpm --filter @routerd/e2e-tests test:reliability',
      rows: withRecovery.map((r) => ({
        metric: `${r.scenario}: ${r.recoveryWhat ?? 'recovery'}`,
        value: r.recoveryMs,
        unit: 'ms',
      })),
      notes: [
        'Real routerd-eventd daemons (loopback, or one per network namespace with nftables drops); a checker reads both SQLite stores after quiescence.',
        `Checker totals over ${rows.length} scenarios: ${totals(rows)}; ${violations(rows)}.`,
        'RSS and open fds of each daemon were sampled before and after each scenario and asserted bounded (+96 MiB, +24 fds).',
      ],
    });
  };
}

function totals(rows: ScenarioRecord[]): string {
  const sum = (k: 'acknowledged' | 'delivered' | 'expired' | 'dropped') =>
    rows.reduce((s, r) => s + (r.check?.[k] ?? 0), 0);
  return `${sum('acknowledged')} events acknowledged, ${sum('delivered')} delivered, ${sum('expired')} expired before delivery, ${sum('dropped')} dropped by retention (counted)`;
}

function violations(rows: ScenarioRecord[]): string {
  const n = (k: 'lost' | 'unexpected' | 'duplicated' | 'expiredDelivered' | 'corrupted') =>
    rows.reduce((s, r) => s + (r.check?.[k].length ?? 0), 0);
  return `lost ${n('lost')}, unexpected ${n('unexpected')}, duplicated ${n('duplicated')}, expired-but-delivered ${n('expiredDelivered')}, corrupted ${n('corrupted')}`;
}

function printTable(rows: ScenarioRecord[]): void {
  const lines = rows.map((r) => {
    const c = r.check;
    const res = Object.entries(r.resources ?? {})
      .map(([n, v]) => `${n} ${Math.round(v.after.rssKiB / 1024)}MiB/${v.after.fds}fd`)
      .join(' ');
    return [
      r.scenario.padEnd(44),
      (r.recoveryMs === undefined ? '—' : `${r.recoveryMs} ms`).padStart(9),
      c
        ? `ack ${c.acknowledged} del ${c.delivered} lost ${c.lost.length} unexp ${c.unexpected.length} dup ${c.duplicated.length} expDel ${c.expiredDelivered.length} expired ${c.expired} dropped ${c.dropped}`
        : '',
      res,
      ...(r.notes ?? []),
    ].join('  ');
  });
  console.log(`\nreliability summary\n${lines.join('\n')}\n`);
}
