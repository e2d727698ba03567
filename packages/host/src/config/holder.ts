import { createHash } from 'node:crypto';
import { type Clock, isoAt } from '../clock.js';
import { CONFIG_FILE_MAX_BYTES, readRegularFile } from '../regular-file.js';
import { type ConfigLoad, type FederationConfig, loadConfig } from './index.js';

/** What the last SIGHUP did: `applied`, or `refused` with the problems (the config in force stayed). */
export interface ReloadRecord {
  at: string;
  result: 'applied' | 'refused';
  problems: string[];
}

/**
 * The config in force. A reload validates the files again and swaps only if they are valid: an invalid
 * config never replaces a working one. Listeners (e.g. the no-observe set) follow each swap. It also
 * remembers what the last reload did and a digest of each file as loaded, so `routerctl status` and the
 * doctor's `config-current` can say when the files on disk are not what runs (a refused reload, or an
 * edit not yet reloaded — either would surprise the operator at the next restart).
 */
export class ConfigHolder {
  private config: FederationConfig;
  private gen = 1;
  private loadedAtMs: number;
  private digests: Map<string, string>;
  private reloadRecord?: ReloadRecord;
  private readonly listeners = new Set<(config: FederationConfig) => void>();

  constructor(
    initial: FederationConfig,
    private readonly clock: Clock,
  ) {
    this.config = initial;
    this.loadedAtMs = clock.now();
    this.digests = digestsOf(initial.files);
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
  get lastReload(): ReloadRecord | undefined {
    return this.reloadRecord;
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
    this.digests = digestsOf(config.files);
    this.reloadRecord = { at: isoAt(this.loadedAtMs), result: 'applied', problems: [] };
    for (const l of this.listeners) l(config);
  }

  /** A reload was refused: the config in force stays, and the refusal is remembered until the next one. */
  refused(problems: string[]): void {
    this.reloadRecord = { at: isoAt(this.clock.now()), result: 'refused', problems };
  }

  /** Config files whose content on disk differs from what was loaded (or that cannot be read now). */
  changedOnDisk(): string[] {
    const now = digestsOf(this.config.files);
    return this.config.files.filter((f) => now.get(f) !== this.digests.get(f));
  }

  /** Called with the new config after every swap (not immediately). */
  onChange(listener: (config: FederationConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function digestsOf(files: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of files) {
    try {
      out.set(
        file,
        createHash('sha256').update(readRegularFile(file, CONFIG_FILE_MAX_BYTES).text).digest('hex'),
      );
    } catch {
      // unreadable now (gone, or no longer a regular file): no digest, so it counts as changed
    }
  }
  return out;
}
