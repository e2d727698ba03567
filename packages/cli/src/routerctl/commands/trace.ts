/** routerctl trace <event-id | address>: one observation's journey on this node, as a timeline. */
import type { TraceResponse } from '@routerd/host-wire';
import { Command, Option } from 'clipanion';
import { ReadCommand } from '../base-command.js';
import { printable, renderData, renderTable } from '../output.js';

/** An IPv4 address, alone or as a /32: anything else is an event id. */
const ADDRESS = /^(?:\d{1,3}\.){3}\d{1,3}(?:\/32)?$/;

export class TraceCommand extends ReadCommand {
  static override paths = [['trace']];
  static override usage = Command.Usage({
    category: 'federation',
    description:
      "one observation's causal chain on this node: observed, stored, delivered, run, part, plan, ack",
    details:
      "Reads this node's store: the events of the observation's trace (W3C trace context), their deliveries, subscription and plugin runs, the dynamic parts, claims and plans they led to, the executions of those plans and the acknowledgements that came back. A chain that stopped says where and why.",
    examples: [
      ['The newest observation of an address', '$0 trace 10.88.60.9'],
      ['One event, for a script', '$0 trace 01JDV4Q4T9M4Z3C1G8B0X5W2NA -o json'],
    ],
  });
  ref = Option.String({ name: 'event-id | address' });

  async run(): Promise<void> {
    const trace = await this.client().trace(
      ADDRESS.test(this.ref) ? { address: this.ref } : { event: this.ref },
    );
    if (this.output !== 'table') return this.write(await renderData(this.output, trace));
    this.write(timelineText(trace));
  }
}

export function timelineText(trace: TraceResponse): string {
  const head = `Trace ${trace.traceId ?? '(none: stored before trace context)'} of event ${trace.eventId}\n`;
  const table = renderTable(
    ['AT', 'SINCE', 'STEP', 'TOOK', 'OUTCOME', 'WHAT'],
    trace.steps.map((s) => [
      s.at,
      s.sinceMs === undefined ? '' : `+${duration(s.sinceMs)}`,
      s.kind,
      s.durationMs === undefined ? '' : duration(s.durationMs),
      s.outcome,
      s.summary,
    ]),
  );
  const end = trace.stopped
    ? `Stopped at ${trace.stopped.step}: ${printable(trace.stopped.reason)}\n`
    : 'Complete: every step succeeded.\n';
  const more = trace.truncatedAt
    ? `Only the first ${trace.truncatedAt} events of this trace are shown: it caused more.\n`
    : '';
  return `${head}${table}${more}${end}`;
}

/** 840ms, 2.4s, 3m05s: as long as the figure needs. */
function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
