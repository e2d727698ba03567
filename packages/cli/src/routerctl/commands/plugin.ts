/** routerctl plugin list | run | runs. */
import { readFileSync } from 'node:fs';
import type { PluginRunOutcome, RunPluginRequest } from '@routerd/host-wire';
import { Command, Option, UsageError } from 'clipanion';
import * as t from 'typanion';
import { ReadCommand } from '../base-command.js';
import { ControlClient } from '../client.js';
import { renderData, renderTable } from '../output.js';
import { resolveSocket } from '../socket.js';

const OUTCOMES = ['succeeded', 'failed', 'refused'] as const;
const dash = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v));
/** A run waits for the plugin: its spec.timeout, then the cancel grace and the kill. */
const RUN_REQUEST_TIMEOUT_MS = 15 * 60_000;

export class PluginListCommand extends ReadCommand {
  static override paths = [['plugin', 'list']];
  static override usage = Command.Usage({
    category: 'plugins',
    description:
      'each Plugin: lifecycle, state (running, backoff, degraded, …), restarts, last run, last error',
  });

  async run(): Promise<void> {
    const { plugins } = await this.client().plugins();
    if (this.output !== 'table') return this.write(await renderData(this.output, plugins));
    if (plugins.length === 0) return this.write('No plugins configured.\n');
    this.write(
      renderTable(
        ['NAME', 'LIFECYCLE', 'STATE', 'RESTARTS', 'INTERVALS', 'LAST RUN', 'LAST ERROR'],
        plugins.map((p) => [
          p.name,
          p.lifecycle,
          p.state,
          dash(p.restarts),
          p.intervals.join(',') || '-',
          dash(p.lastRunAt),
          dash(p.lastError),
        ]),
      ),
    );
  }
}

export class PluginRunCommand extends ReadCommand {
  static override paths = [['plugin', 'run']];
  static override usage = Command.Usage({
    category: 'plugins',
    description: 'run a plugin once by hand (trigger manual) and show its result',
    details: `
      The run is recorded like any other (see \`routerctl plugin runs\`). Without --dry-run a successful
      result is handed on exactly as a scheduled run's would be; with --dry-run it is only shown and
      nothing of it is kept. A failed or refused run exits 1 with the reason.
    `,
    examples: [
      ['See what a plugin would propose', '$0 plugin run aws-address-claim --dry-run'],
      ['Feed it recorded events', '$0 plugin run aws-address-claim --events-file events.json -o yaml'],
    ],
  });
  name = Option.String({ name: 'name' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'show the result, store nothing' });
  eventsFile = Option.String('--events-file', {
    description: 'a JSON array of Events (whole envelopes) to hand to the plugin',
  });
  topic = Option.String('--topic', { description: 'free text passed as spec.trigger.topic' });

  protected override optionFor(path: string): string | undefined {
    if (path.startsWith('/events')) return '--events-file';
    if (path.startsWith('/topic')) return '--topic';
    return undefined;
  }

  protected override client(): ControlClient {
    return new ControlClient(
      resolveSocket({ socket: this.socket, stateDir: this.stateDir }, process.env),
      RUN_REQUEST_TIMEOUT_MS,
    );
  }

  async run(): Promise<void> {
    const events = this.eventsFile === undefined ? undefined : readEventsFile(this.eventsFile);
    const { run } = await this.client().runPlugin(this.name, {
      dryRun: this.dryRun,
      ...(this.topic === undefined ? {} : { topic: this.topic }),
      ...(events === undefined ? {} : { events }),
    });
    if (this.output !== 'table') this.write(await renderData(this.output, run));
    else this.write(await summary(run));
    if (run.outcome !== 'succeeded') {
      throw new Error(`run ${run.outcome}: ${run.error?.code ?? ''} ${run.error?.message ?? ''}`.trimEnd());
    }
  }
}

/** Only parsed here: the daemon checks each Event and names the bad field as /events/N/…. */
function readEventsFile(file: string): RunPluginRequest['events'] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --events-file ${file}: ${(err as Error).message}`);
  }
  let events: unknown;
  try {
    events = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--events-file ${file} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(events)) throw new UsageError(`--events-file ${file} must hold a JSON array of Events`);
  return events as RunPluginRequest['events'];
}

async function summary(run: PluginRunOutcome): Promise<string> {
  const head = `run ${run.runId} of ${run.plugin}: ${run.outcome} in ${run.durationMs} ms${run.dryRun ? ' (dry run: nothing stored)' : ''}\n`;
  if (!run.result) return head;
  const s = run.result.status;
  const counts = (['resources', 'directives', 'actionPlans', 'events', 'diagnostics'] as const)
    .map((k) => `${k}: ${s[k]?.length ?? 0}`)
    .join(', ');
  return `${head}${counts}\n---\n${await renderData('yaml', run.result)}`;
}

export class PluginRunsCommand extends ReadCommand {
  static override paths = [['plugin', 'runs']];
  static override usage = Command.Usage({
    category: 'plugins',
    description: 'the run records, newest first: trigger, outcome, duration, error code, exit status',
    examples: [['Why did it fail?', '$0 plugin runs --plugin aws-address-claim --outcome failed -o yaml']],
  });
  plugin = Option.String('--plugin', { description: 'only this Plugin' });
  outcome = Option.String('--outcome', {
    description: 'succeeded, failed or refused',
    validator: t.isEnum(OUTCOMES),
  });
  limit = Option.String('--limit', {
    description: 'at most this many rows (default 100)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 10_000)]),
  });

  async run(): Promise<void> {
    const { runs } = await this.client().pluginRuns({
      plugin: this.plugin,
      outcome: this.outcome,
      limit: this.limit,
    });
    if (this.output !== 'table') return this.write(await renderData(this.output, runs));
    if (runs.length === 0) return this.write('No plugin runs.\n');
    this.write(
      renderTable(
        ['RUN', 'PLUGIN', 'TRIGGER', 'STARTED', 'DURATION', 'OUTCOME', 'ERROR', 'EXIT'],
        runs.map((r) => [
          r.runId,
          r.plugin,
          r.trigger + (r.subscription ? `/${r.subscription}` : '') + (r.dryRun ? ' (dry run)' : ''),
          r.startedAt,
          `${r.durationMs} ms`,
          r.outcome,
          r.errorCode ? `${r.errorCode}: ${r.errorMessage ?? ''}` : '-',
          r.signal ?? dash(r.exitCode),
        ]),
      ),
    );
  }
}
