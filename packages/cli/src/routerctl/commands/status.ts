/** routerctl status: what the daemon is and what config it runs (GET /v1/status). */
import type { StatusResponse } from '@routerd/host-wire';
import { Command } from 'clipanion';
import { ReadCommand } from '../base-command.js';
import { printable, renderData } from '../output.js';

export class StatusCommand extends ReadCommand {
  static override paths = [['status']];
  static override usage = Command.Usage({
    category: 'daemon',
    description: 'the daemon: version, uptime, groups, the config in force and what the last reload did',
    details: `
      A refused reload keeps the old config running while \`systemctl reload\` reports success: the last
      reload's result and problems are shown here (and by the doctor's config-current check) until a reload
      succeeds. Files edited on disk but not yet reloaded are listed too.
    `,
    examples: [
      ['At a glance', '$0 status'],
      ['For a script', "$0 status -o json | jq '.config.lastReload'"],
    ],
  });

  async run(): Promise<void> {
    const status = await this.client().status();
    if (this.output !== 'table') return this.write(await renderData(this.output, status));
    this.write(renderStatus(status));
  }
}

export function renderStatus(s: StatusResponse): string {
  const lines = [
    `routerd-eventd ${s.version}, pid ${s.pid}, up ${formatUptime(s.uptimeSeconds)} (since ${s.startedAt})`,
    ...s.groups.map((g) => `group ${g.name}: this node is ${g.nodeName}`),
    `config generation ${s.config.generation}, loaded ${s.config.loadedAt} from ${s.config.files.join(', ')}`,
  ];
  const reload = s.config.lastReload;
  if (!reload) lines.push('last reload: none since start');
  else if (reload.result === 'applied') lines.push(`last reload: applied at ${reload.at}`);
  else {
    lines.push(
      `last reload: REFUSED at ${reload.at} — generation ${s.config.generation} stays in force; a restart will fail until this is fixed:`,
    );
    for (const p of reload.problems) lines.push(`  ${p}`);
  }
  if (s.config.changedOnDisk.length > 0)
    lines.push(`changed on disk, not in force: ${s.config.changedOnDisk.join(', ')} (check, then reload)`);
  lines.push(`events stored: ${s.events.stored}`);
  // Problems quote the operator's files; anything unprintable is escaped like every table cell.
  return `${lines.map(printable).join('\n')}\n`;
}

function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  return m > 0 ? `${m}m${seconds % 60}s` : `${seconds}s`;
}
