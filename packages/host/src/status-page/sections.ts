/**
 * The page's sections as server-rendered HTML. Every table has a caption and scoped headers; a state
 * is always said in words (and an ✓/✗ mark), colour only repeats it.
 */

import type { StatusResponse, TraceResponse } from '@routerd/host-wire';
import { type Html, html } from './html.js';
import type { StatusSnapshot } from './snapshot.js';

/** Words for each peer state; anything but healthy is shown as down. */
const PEER_STATE_TEXT: Record<string, string> = {
  healthy: 'up',
  'backing-off': 'down: deliveries fail, retrying with backoff',
  'auth-refused': 'down: the peer refuses our signature (needs the operator)',
  'no-key': 'down: no key to sign with',
};

const seconds = (s: number | null | undefined) => (s === null || s === undefined ? '—' : `${s.toFixed(1)} s`);
const or = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '—' : v);

function table(id: string, caption: string, head: string[], rows: Html[], empty: string): Html {
  return html`<section aria-labelledby="${id}-h" id="${id}">
<h2 id="${id}-h">${caption}</h2>
${
  rows.length
    ? html`<table><caption class="visually-hidden">${caption}</caption>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>`
    : html`<p class="empty">${empty}</p>`
}
</section>`;
}

function peers(s: StatusSnapshot): Html {
  const outbox = new Map(s.outbox.map((o) => [o.peer, o]));
  const rows = s.peers.map((p) => {
    const up = p.state === 'healthy';
    const o = outbox.get(p.peer);
    return html`<tr class="${up ? 'peer-up' : 'peer-down'}" data-peer="${p.peer}" data-state="${p.state}">
<th scope="row">${p.peer}</th><td>${p.nodeName}</td><td>${p.endpoint}</td>
<td class="state"><span aria-hidden="true">${up ? '✓' : '✗'}</span> ${PEER_STATE_TEXT[p.state] ?? p.state}</td>
<td>${o?.pending ?? 0}</td><td>${o?.failed ?? 0}</td><td>${seconds(o?.oldestPendingAgeSeconds)}</td>
<td>${seconds(o?.maxLagSeconds)}</td><td>${or(p.lastSuccessAt)}</td><td>${or(p.lastError)}</td></tr>`;
  });
  return table(
    'peers',
    'Peers and their outbox',
    [
      'Peer',
      'Node',
      'Endpoint',
      'State',
      'Pending',
      'Failed',
      'Oldest pending',
      'Worst lag (15 min)',
      'Last success',
      'Last error',
    ],
    rows,
    'No EventPeer is configured.',
  );
}

/** An address as a link to its client's timeline (the page's /trace view). */
const traced = (address: string) =>
  html`<a href="trace?address=${encodeURIComponent(address)}" title="this client's timeline">${address}</a>`;

function events(s: StatusSnapshot): Html {
  const rows = s.events.map((e) => {
    const payload = e.payload as { address?: unknown } | undefined;
    const address = typeof payload?.address === 'string' ? payload.address : '';
    return html`<tr data-event="${e.id}"><td>${e.observedAt}</td><th scope="row">${e.type}</th><td>${address ? traced(address) : or(e.subject)}</td>
<td>${e.sourceNode}</td><td>${e.group}</td></tr>`;
  });
  return table(
    'events',
    'Latest events',
    ['Observed at', 'Type', 'Address or subject', 'Source node', 'Group'],
    rows,
    'No events stored.',
  );
}

function plugins(s: StatusSnapshot): Html {
  const rows = s.plugins.map((p) => {
    const ok = p.state === 'running' || (p.state === 'stopped' && p.lifecycle === 'oneShot');
    return html`<tr class="${ok ? '' : 'plugin-trouble'}" data-plugin="${p.name}"><th scope="row">${p.name}</th><td>${p.lifecycle}</td>
<td class="state"><span aria-hidden="true">${ok ? '✓' : '✗'}</span> ${p.state}</td><td>${or(p.restarts)}</td>
<td>${or(p.lastRunAt)}</td><td>${or(p.lastError ?? p.lastWarning?.message)}</td></tr>`;
  });
  return table(
    'plugins',
    'Plugins',
    ['Plugin', 'Lifecycle', 'State', 'Restarts', 'Last run', 'Last error or warning'],
    rows,
    'No Plugin is configured.',
  );
}

function runs(s: StatusSnapshot): Html {
  const rows = s.runs.map(
    (
      r,
    ) => html`<tr><th scope="row">${r.subscription}</th><td>${r.eventId}</td><td class="state">${r.status}</td>
<td>${r.attempts}</td><td>${or(r.nextAttemptAt)}</td><td>${or(r.lastError)}</td><td>${r.updatedAt}</td></tr>`,
  );
  return table(
    'subscriptions',
    'Subscription runs (latest)',
    ['Subscription', 'Event', 'Status', 'Attempts', 'Next attempt', 'Last error', 'Updated'],
    rows,
    'No subscription has run.',
  );
}

function claims(s: StatusSnapshot): Html {
  const rows = s.claims.map(
    (
      c,
    ) => html`<tr data-claim="${c.address}"><th scope="row">${traced(c.address)}</th><td>${c.domain}</td><td>${c.ownerNode}</td>
<td>${c.name}</td><td>${c.source}</td></tr>`,
  );
  return table(
    'claims',
    'Claims held',
    ['Address', 'Domain', 'Owner', 'Claim', 'Source'],
    rows,
    'No address is claimed.',
  );
}

function parts(s: StatusSnapshot): Html {
  const rows = s.parts.map(
    (
      p,
    ) => html`<tr><th scope="row">${p.name}</th><td>${p.source}</td><td>${p.generation}</td><td>${or(p.expiresAt)}</td>
<td>${p.resources.join(', ')}</td><td>${p.actionPlans}</td></tr>`,
  );
  return table(
    'parts',
    'Dynamic parts in force',
    ['Part', 'Source', 'Generation', 'Expires', 'Resources', 'Plans'],
    rows,
    'No dynamic part is in force.',
  );
}

function plans(s: StatusSnapshot): Html {
  const rows = s.actions.map(
    (a) => html`<tr><th scope="row">${a.id}</th><td>${a.provider}</td><td>${a.action}</td>
<td>${Object.entries(a.target)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ')}</td><td>${a.part}</td><td class="state">${a.status}</td></tr>`,
  );
  return table(
    'plans',
    'Action plans',
    ['Plan', 'Provider', 'Action', 'Target', 'Part', 'Status'],
    rows,
    'No action is planned.',
  );
}

const OUTCOME_TEXT = { ok: '✓ done', pending: '… waiting', failed: '✗ failed' } as const;

/** One client's journey on this node, step by step (what `routerctl trace` prints). */
export function timeline(t: TraceResponse, asked: string): Html {
  const rows = t.steps.map(
    (
      s,
    ) => html`<tr class="${s.outcome === 'failed' ? 'step-failed' : ''}" data-step="${s.kind}"><th scope="row">${s.kind}</th>
<td>${s.at}</td><td>${s.sinceMs === undefined ? '—' : `+${s.sinceMs} ms`}</td><td>${s.durationMs === undefined ? '—' : `${s.durationMs} ms`}</td>
<td class="state">${OUTCOME_TEXT[s.outcome]}</td><td>${s.summary}</td></tr>`,
  );
  return html`<p><a href="./">← Back to the status</a></p>
<section aria-labelledby="timeline-h" id="timeline">
<h2 id="timeline-h">Timeline of ${asked}</h2>
<p>Event ${t.eventId}${t.traceId ? html`, trace ${t.traceId}` : ''}.</p>
${t.stopped ? html`<p class="stopped" role="alert"><strong>The chain stopped at ${t.stopped.step}:</strong> ${t.stopped.reason}</p>` : ''}
<table><caption class="visually-hidden">Steps of ${asked}</caption>
<thead><tr>${['Step', 'At', 'Since the step before', 'Took', 'Outcome', 'What happened'].map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>
</section>`;
}

/** Words (and a mark) for each execution state: done, waiting for someone or something, or stopped. */
const EXECUTION_STATE_TEXT: Record<string, string> = {
  'awaiting-approval': '… awaiting approval (routerctl action approve)',
  approved: '… approved, queued',
  running: '… running',
  succeeded: '✓ succeeded',
  'already-done': '✓ already done',
  'held-elsewhere': '✗ held elsewhere',
  failed: '✗ failed',
  cancelled: '✗ cancelled',
  undone: '✓ undone',
};
const TROUBLED = new Set(['held-elsewhere', 'failed']);

function executions(s: StatusSnapshot): Html {
  if (s.executions.length === 0) return html``;
  const rows = s.executions.map(
    (
      e,
    ) => html`<tr class="${TROUBLED.has(e.state) ? 'step-failed' : ''}" data-execution="${e.id}" data-state="${e.state}">
<th scope="row">${e.plan.name}</th><td>${e.action}</td><td>${or(e.address)}</td><td>${e.mode}</td>
<td class="state">${EXECUTION_STATE_TEXT[e.state] ?? e.state}</td><td>${e.stepIndex === null ? '—' : `${e.stepIndex + 1} of ${e.plan.steps.length}`}</td>
<td>${or(e.approvedBy)}</td><td>${e.updatedAt}</td><td>${or(e.reason)}</td></tr>`,
  );
  return table(
    'executions',
    'Action executions (latest)',
    ['Plan', 'Action', 'Address', 'Mode', 'State', 'Step', 'Approved by', 'Updated', 'Reason'],
    rows,
    '',
  );
}

/** What the server sends over Server-Sent Events and puts in the page: everything inside <main>. */
export function mainContent(s: StatusSnapshot): Html {
  return html`${peers(s)}${events(s)}${plugins(s)}${runs(s)}${claims(s)}${parts(s)}${plans(s)}${executions(s)}`;
}

/** The line in the header that says which node this is (it changes only with the config). */
export function summary(status: StatusResponse): Html {
  const nodes = status.groups.map((g) => `${g.nodeName} in group ${g.name}`).join(', ');
  return html`Node ${nodes} · routerd-eventd ${status.version} · config generation ${status.config.generation}`;
}
