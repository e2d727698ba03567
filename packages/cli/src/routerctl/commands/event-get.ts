import { Command, Option } from 'clipanion';
import { ReadCommand } from '../base-command.js';
import { eventDetail, renderData } from '../output.js';

export class EventGetCommand extends ReadCommand {
  static override paths = [['federation', 'event', 'get']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'show one event by id',
    examples: [['As YAML', '$0 federation event get 01JD3X6V9W2Q8ZB5M4K7N1P0RS -o yaml']],
  });

  id = Option.String({ name: 'ID' });
  includeExpired = Option.Boolean('--include-expired', false, {
    description: 'show it even if it has expired',
  });

  async run(): Promise<void> {
    const { event } = await this.client().getEvent(this.id, this.includeExpired);
    this.write(this.output === 'table' ? eventDetail(event) : await renderData(this.output, event));
  }
}
