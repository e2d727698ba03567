import type { EventFilter } from '@routerd/host-wire';
import { MAX_LIST_LIMIT } from '@routerd/host-wire/constants';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ReadCommand } from '../base-command.js';
import { eventsTable, renderData } from '../output.js';

export class EventListCommand extends ReadCommand {
  static override paths = [['federation', 'event', 'list']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'list stored events, newest first (expired ones are hidden unless asked for)',
    examples: [
      [
        'Observations from one node',
        '$0 federation event list --type routerd.client.ipv4.observed --source-node onprem-1',
      ],
      ['Everything, as JSON', '$0 federation event list --include-expired -o json'],
    ],
  });

  type = Option.String('--type', { description: 'only this event type' });
  sourceNode = Option.String('--source-node', { description: 'only events from this node' });
  group = Option.String('--group', { description: 'only events of this EventGroup' });
  includeExpired = Option.Boolean('--include-expired', false, { description: 'show expired events too' });
  limit = Option.String('--limit', {
    description: `at most this many events (default 100, at most ${MAX_LIST_LIMIT})`,
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, MAX_LIST_LIMIT)]),
  });

  async run(): Promise<void> {
    const filter: EventFilter = {};
    if (this.type !== undefined) filter.type = this.type;
    if (this.sourceNode !== undefined) filter.sourceNode = this.sourceNode;
    if (this.group !== undefined) filter.group = this.group;
    if (this.includeExpired) filter.includeExpired = true;
    if (this.limit !== undefined) filter.limit = this.limit;
    const { events } = await this.client().listEvents(filter);
    this.write(this.output === 'table' ? eventsTable(events) : await renderData(this.output, events));
  }
}
