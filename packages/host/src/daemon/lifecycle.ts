/**
 * The daemon's parts in the order they started, so they stop in the reverse order — one list used by a
 * start that fails half-way and by stop(), instead of two hand-written teardown sequences that drift.
 */
export class Lifecycle {
  private readonly running: { name: string; stop: () => void | Promise<void> }[] = [];

  /** Record a part that is now running and how to stop it. */
  started(name: string, stop: () => void | Promise<void>): void {
    this.running.push({ name, stop });
  }

  /** What is running, oldest first (for logs and tests). */
  get parts(): string[] {
    return this.running.map((p) => p.name);
  }

  /**
   * Stop everything, newest first. A part that fails to stop is reported and the rest still stop: a
   * database left open because a plugin would not die is worse than a logged error.
   */
  async stopAll(onError: (part: string, err: unknown) => void): Promise<void> {
    for (let part = this.running.pop(); part; part = this.running.pop()) {
      try {
        await part.stop();
      } catch (err) {
        onError(part.name, err);
      }
    }
  }
}
