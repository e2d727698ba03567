import type { FlapDampingSettings } from '../config.js';

interface History {
  /** The penalty as it stood at `at`; it decays from there. */
  penalty: number;
  at: number;
  suppressed: boolean;
}

/** Why damping changed its mind about an address, for the log. */
export type DampingNotice =
  | { kind: 'suppressed'; address: string; penalty: number; reuseAt: number }
  | { kind: 'reused'; address: string; penalty: number };

/**
 * Route-flap damping per address (RFC 2439): each flap adds a penalty that halves every half-life; an
 * address whose penalty rises above the suppress threshold is suppressed until it decays below the reuse
 * threshold. The penalty is capped so that suppression ends at most maxSuppress after the last flap.
 * Time comes only from the `now` arguments.
 */
export class FlapDamper {
  private readonly histories = new Map<string, History>();

  constructor(
    private readonly settings: FlapDampingSettings,
    private readonly notify: (notice: DampingNotice) => void = () => {},
  ) {}

  /** An episode of the address ended: add the penalty, and suppress the address past the threshold. */
  flap(address: string, now: number): void {
    const { penaltyPerFlap, suppressAbove, penaltyCap } = this.settings;
    const h = this.histories.get(address) ?? { penalty: 0, at: now, suppressed: false };
    h.penalty = Math.min(this.decayed(h, now) + penaltyPerFlap, penaltyCap);
    h.at = now;
    if (!h.suppressed && h.penalty > suppressAbove) {
      h.suppressed = true;
      this.notify({ kind: 'suppressed', address, penalty: h.penalty, reuseAt: this.reuseAt(h) });
    }
    this.histories.set(address, h);
  }

  /** Whether a new episode of the address must wait; lifts the suppression once the penalty has decayed. */
  isSuppressed(address: string, now: number): boolean {
    const h = this.histories.get(address);
    if (!h?.suppressed) return false;
    const penalty = this.decayed(h, now);
    if (penalty >= this.settings.reuseBelow) return true;
    h.suppressed = false;
    this.notify({ kind: 'reused', address, penalty });
    return false;
  }

  /** The current penalty of an address (0 when it has none), for diagnostics and tests. */
  penalty(address: string, now: number): number {
    const h = this.histories.get(address);
    return h ? this.decayed(h, now) : 0;
  }

  /** How many addresses carry a penalty. */
  get size(): number {
    return this.histories.size;
  }

  /**
   * Forget addresses whose penalty has decayed below half the reuse threshold (RFC 2439's rule): past
   * reuse anyway, so this also ends the suppression of an address nobody asked about since.
   */
  prune(now: number): void {
    for (const [address, h] of this.histories) {
      if (this.decayed(h, now) < this.settings.reuseBelow / 2) this.histories.delete(address);
    }
  }

  private decayed(h: History, now: number): number {
    return h.penalty * 2 ** (-Math.max(0, now - h.at) / this.settings.halfLifeMs);
  }

  /** When a suppressed penalty will have decayed to the reuse threshold. */
  private reuseAt(h: History): number {
    return h.at + this.settings.halfLifeMs * Math.log2(h.penalty / this.settings.reuseBelow);
  }
}
