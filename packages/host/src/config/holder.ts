import { type Clock, isoAt } from '../clock.js';
import { type ConfigLoad, type FederationConfig, loadConfig } from './index.js';

/**
 * The config in force. A reload validates the files again and swaps only if they are valid: an invalid
 * config never replaces a working one. Listeners (e.g. the no-observe set) follow each swap.
 */
export class ConfigHolder {
  private config: FederationConfig;
  private gen = 1;
  private loadedAtMs: number;
  private readonly listeners = new Set<(config: FederationConfig) => void>();

  constructor(
    initial: FederationConfig,
    private readonly clock: Clock,
  ) {
    this.config = initial;
    this.loadedAtMs = clock.now();
  }

  get current(): FederationConfig {
    return this.config;
  }
  get generation(): number {
    return this.gen;
  }
  get loadedAt(): string {
    return isoAt(this.loadedAtMs);
  }

  /** Re-read the same files. On failure the current config stays and the issues are returned. */
  reload(): ConfigLoad {
    const load = loadConfig(this.config.files);
    if (load.ok) this.replace(load.config);
    return load;
  }

  replace(config: FederationConfig): void {
    this.config = config;
    this.gen += 1;
    this.loadedAtMs = this.clock.now();
    for (const l of this.listeners) l(config);
  }

  /** Called with the new config after every swap (not immediately). */
  onChange(listener: (config: FederationConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
