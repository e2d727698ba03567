// Small helpers every bench script shares: percentiles, timing, and the result file format that
// run-all.mjs turns into RESULTS.md.
import { writeFileSync } from 'node:fs';

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), min: s[0], max: s[s.length - 1] };
}

export function median(values) {
  return summarize(values).p50;
}

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The wall clock in ms with a fraction, to hold against a time a daemon stamped with Date.now(). */
export const epochMs = () => performance.timeOrigin + performance.now();

/**
 * From `fromEpochMs` (epochMs) to a time a daemon stored as whole ms (Date.now(): stored_at_ms,
 * updated_ms). The stored time lost its fraction, 0.5 ms on average, which is added back: each sample is
 * then off by at most ±0.5 ms, not the ±1 ms of two truncated times, and percentiles are no longer whole
 * ms (a p99 of 7 or 8 ms was a 14 % step in a ratio).
 */
export const untilStamped = (stampedMs, fromEpochMs) => stampedMs + 0.5 - fromEpochMs;

/**
 * Write one benchmark's figures. rows: [{ metric, value, unit, baseline?, baselineLabel?, note? }]
 * ratio is value / baseline, computed here so every table reads the same way.
 */
export function writeResult(name, { title, command, rows, notes = [] }) {
  const out = {
    name,
    title,
    command,
    measuredAt: new Date().toISOString(),
    rows: rows.map((r) => ({ ...r, ratio: r.baseline ? r.value / r.baseline : undefined })),
    notes,
  };
  writeFileSync(new URL(`../results/${name}.json`, import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  for (const r of out.rows) {
    const base = r.baseline ? ` (baseline ${fmt(r.baseline)} ${r.unit}, ratio ${r.ratio.toFixed(2)})` : '';
    console.log(`${title} — ${r.metric}: ${fmt(r.value)} ${r.unit}${base}`);
  }
  return out;
}

export function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(3);
}
