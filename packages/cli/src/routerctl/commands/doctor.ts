/** routerctl doctor federation: the daemon's own checks (GET /v1/doctor/federation), one row each. */
import type { DoctorResponse } from '@routerd/host-wire';
import { Command, Option } from 'clipanion';
import { ReadCommand } from '../base-command.js';
import { ExitCodes } from '../exit-codes.js';
import { renderData, renderTable } from '../output.js';

export class DoctorFederationCommand extends ReadCommand {
  static override paths = [['doctor', 'federation']];
  static override usage = Command.Usage({
    category: 'doctor',
    description:
      'check federation health: peers, deliveries, subscriptions, plugins, clocks, refused requests, key files, listen address',
    details: `
      Each check has a stable code and PASS, WARN or FAIL; every WARN and FAIL says what to do.
      Thresholds are per EventGroup (spec.doctor). Exits 1 when any check FAILs, 0 otherwise.

      Each peer with a key gets an authenticated probe (peer-probe): a signed POST /v1/probe that the
      peer verifies and answers without storing anything, proving it holds the same key and reads the
      same time — in both directions, without waiting for an event. --no-probe skips it.
    `,
    examples: [
      ['Everything at a glance', '$0 doctor federation'],
      ['Without the signed probe of each peer', '$0 doctor federation --no-probe'],
      [
        'Only the problems, for a script',
        '$0 doctor federation -o json | jq \'.checks[] | select(.status != "PASS")\'',
      ],
    ],
  });

  probe = Option.Boolean('--probe', true, {
    description: 'probe each peer with a signed request (--no-probe: skip the peer-probe checks)',
  });

  private failed = false;

  async run(): Promise<void> {
    const report = await this.client().doctorFederation({ probe: this.probe });
    this.failed = report.status === 'FAIL';
    if (this.output !== 'table') return this.write(await renderData(this.output, report));
    this.write(renderReport(report));
  }

  override async execute(): Promise<number> {
    const code = await super.execute();
    // A report that was printed but holds a FAIL still exits 1, so `routerctl doctor federation && …` works.
    return code === ExitCodes.ok && this.failed ? ExitCodes.error : code;
  }
}

export function renderReport(report: DoctorResponse): string {
  const table = renderTable(
    ['CODE', 'STATUS', 'SUBJECT', 'SUMMARY', 'ADVICE'],
    report.checks.map((c) => [c.code, c.status, c.subject, c.summary, c.advice ?? '-']),
  );
  const count = (s: string) => report.checks.filter((c) => c.status === s).length;
  return `${table}\n${report.status}: ${count('FAIL')} FAIL, ${count('WARN')} WARN, ${count('PASS')} PASS\n`;
}
