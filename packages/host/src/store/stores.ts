import type { Database } from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { ActionJournal } from './action-journal.js';
import { DeliveryStore } from './deliveries.js';
import { DynamicStore } from './dynamic-parts.js';
import { EventStore, type EventStoreHooks } from './events.js';
import { PluginRunStore } from './plugin-runs.js';
import { SubscriptionRunStore } from './subscription-runs.js';

/** Every store of the state database, built once and handed to whoever reads or writes a table family. */
export interface Stores {
  events: EventStore;
  deliveries: DeliveryStore;
  pluginRuns: PluginRunStore;
  subscriptionRuns: SubscriptionRunStore;
  dynamic: DynamicStore;
  actionJournal: ActionJournal;
}

export function openStores(db: Database, clock: Clock, eventHooks: EventStoreHooks = {}): Stores {
  return {
    events: new EventStore(db, clock, eventHooks),
    deliveries: new DeliveryStore(db),
    pluginRuns: new PluginRunStore(db),
    subscriptionRuns: new SubscriptionRunStore(db),
    dynamic: new DynamicStore(db),
    actionJournal: new ActionJournal(db),
  };
}
