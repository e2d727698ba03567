/**
 * `Plugin.spec.triggers: [{type: interval, every}]` on the daemon's clock. A schedule whose plugin spec did
 * not change keeps its phase across a config reload; a tick that finds the previous run of the same
 * schedule still going is skipped, so a slow plugin never piles runs up.
 */
import { parseDuration } from '@routerd/plugin-sdk';
import type { Clock, TimerHandle } from '../clock.js';
import type { PluginTrigger } from '../config/index.js';

export interface ScheduledPlugin {
  name: string;
  triggers: readonly PluginTrigger[];
  /** Changes whenever the plugin's spec does; a changed key restarts its schedules. */
  specKey: string;
}

interface Schedule {
  specKey: string;
  handles: TimerHandle[];
}

export class IntervalTriggers {
  private readonly schedules = new Map<string, Schedule>();
  private readonly busy = new Set<string>();

  constructor(
    /** Runs the plugin once; must not throw (the PluginHost records failures itself). */
    private readonly fire: (plugin: string) => Promise<unknown>,
    private readonly clock: Clock,
  ) {}

  apply(plugins: readonly ScheduledPlugin[]): void {
    const wanted = new Map(plugins.map((p) => [p.name, p]));
    for (const [name, schedule] of this.schedules) {
      if (wanted.get(name)?.specKey !== schedule.specKey) this.cancel(name);
    }
    for (const p of plugins) {
      if (this.schedules.has(p.name) || p.triggers.length === 0) continue;
      const handles = p.triggers.map((t, i) =>
        this.clock.setInterval(() => this.tick(p.name, i), parseDuration(t.every)),
      );
      this.schedules.set(p.name, { specKey: p.specKey, handles });
    }
  }

  private tick(plugin: string, index: number): void {
    const key = `${plugin}#${index}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    void this.fire(plugin).finally(() => this.busy.delete(key));
  }

  private cancel(name: string): void {
    for (const h of this.schedules.get(name)?.handles ?? []) this.clock.clear(h);
    this.schedules.delete(name);
  }

  stop(): void {
    for (const name of [...this.schedules.keys()]) this.cancel(name);
  }
}
