import type { EmitRequest } from '@routerd/host-wire';
import { Command, Option } from 'clipanion';
import { ReadCommand } from '../base-command.js';
import { renderData } from '../output.js';
import { buildPayload } from '../payload.js';

const OPTION_OF_FIELD: Record<string, string> = {
  type: '--type',
  subject: '--subject',
  payload: '--payload / --payload-json',
  ttl: '--ttl',
  id: '--id',
  dedupeKey: '--dedupe-key',
  group: '--group',
};

export class EventEmitCommand extends ReadCommand {
  static override paths = [['federation', 'event', 'emit']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'emit an event into the local store (group and sourceNode come from the daemon’s config)',
    details: `
      The daemon validates the envelope and, for a well-known type, its payload; refuses an observation of
      an address this node captures itself; and stores the event. Emitting an id that is already stored
      changes nothing (reported as duplicate) unless the new expiry is later (reported as refreshed).
    `,
    examples: [
      [
        'Report a client address seen on the LAN for 5 minutes',
        '$0 federation event emit --type routerd.client.ipv4.observed --subject 10.88.60.9/32 --payload address=10.88.60.9/32 --payload domain=lan --payload ownerSide=onprem --payload source=manual --ttl 300s',
      ],
      [
        'Emit with a typed JSON payload',
        '$0 federation event emit --type acme.port.changed --payload-json \'{"port": 3, "up": true}\'',
      ],
    ],
  });

  type = Option.String('--type', {
    required: true,
    description: 'the event type, e.g. routerd.client.ipv4.observed',
  });
  subject = Option.String('--subject', { description: 'what the event is about, e.g. 10.88.60.9/32' });
  payload = Option.Array('--payload', [], {
    description: 'a payload field as key=value (string); repeatable',
  });
  payloadJson = Option.String('--payload-json', {
    description: 'the payload as a JSON object (--payload fields go on top)',
  });
  ttl = Option.String('--ttl', { description: 'how long the event stays live, e.g. 300s or 5m' });
  id = Option.String('--id', { description: 'the event id (default: a new time-ordered ULID)' });
  dedupeKey = Option.String('--dedupe-key', { description: 'groups repeated observations of the same fact' });
  group = Option.String('--group', {
    description: 'the EventGroup to write in (needed only if several are configured)',
  });

  protected override optionFor(path: string): string | undefined {
    return OPTION_OF_FIELD[path.split('/')[1] ?? ''];
  }

  async run(): Promise<void> {
    const request: EmitRequest = { type: this.type, payload: buildPayload(this.payload, this.payloadJson) };
    if (this.subject !== undefined) request.subject = this.subject;
    if (this.ttl !== undefined) request.ttl = this.ttl;
    if (this.id !== undefined) request.id = this.id;
    if (this.dedupeKey !== undefined) request.dedupeKey = this.dedupeKey;
    if (this.group !== undefined) request.group = this.group;
    const response = await this.client().emit(request);
    if (this.output !== 'table') return this.write(await renderData(this.output, response));
    const { id, status, expiresAt } = response.result;
    const expiry = expiresAt ? `, expires ${expiresAt}` : '';
    const what = {
      stored: 'stored',
      duplicate: 'duplicate (already stored, nothing changed):',
      refreshed: 'refreshed',
    }[status];
    this.write(`${what} ${id}${expiry}\n`);
  }
}
