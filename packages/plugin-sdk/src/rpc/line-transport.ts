import type { Writable } from 'node:stream';

const NOT_BLANK = /\S/;

/**
 * Splits a byte stream into protocol lines: LF-terminated, a trailing CR tolerated, UTF-8.
 * A line longer than `maxBytes` is dropped whole (up to its newline) and reported, so one bad
 * message cannot make the reader buffer without bound or lose sync with the next line.
 */
export class LineDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: (bytes: number, limit: number) => void,
  ) {}

  /** The limit the peer announced (initialize's `limits.maxMessageBytes`); applies from the next line on. */
  setMaxBytes(bytes: number): void {
    this.maxBytes = bytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      this.append(chunk.subarray(start, nl));
      this.finishLine();
      start = nl + 1;
    }
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.skipping) {
      this.size += part.length;
      return;
    }
    this.size += part.length;
    if (this.size > this.maxBytes) {
      this.skipping = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(part);
  }

  private finishLine(): void {
    if (this.skipping) {
      this.onOversize(this.size, this.maxBytes);
    } else {
      // Most lines arrive in one chunk: decode it in place rather than copy it first.
      const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      let line = bytes.toString('utf8');
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (NOT_BLANK.test(line)) this.onLine(line);
    }
    this.chunks = [];
    this.size = 0;
    this.skipping = false;
  }
}

/**
 * The other side has not read what was written to it: more than the writer may hold was waiting for it
 * (LineWriter's `maxQueuedBytes`). A peer that never reads would otherwise make this side buffer every
 * message it answers with, for ever.
 */
export class PeerNotReading extends Error {
  constructor(readonly bytes: number) {
    super(
      `the other side does not read what is written to it: ${(bytes / 2 ** 20).toFixed(1)} MiB of messages to it were waiting`,
    );
  }
}

/**
 * The one writer of a protocol stream: messages go out whole and in order, and backpressure
 * (`drain`) is respected. A broken pipe marks the writer closed instead of throwing. A line is handed
 * to the stream at once unless the stream asked to wait; then it queues until `drain` — at most
 * `maxQueuedBytes` with what the stream holds: past it the writer closes with PeerNotReading.
 */
export class LineWriter {
  private readonly waiting: { line: string; written: () => void }[] = [];
  private queuedBytes = 0;
  private drained?: Promise<void>;
  private closed = false;

  constructor(
    private readonly stream: Writable,
    private readonly onClosed: (err?: Error) => void = () => {},
    private readonly maxQueuedBytes = Number.POSITIVE_INFINITY,
  ) {
    stream.on('error', (err) => this.markClosed(err));
    stream.on('close', () => this.markClosed());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once the line is with the stream and the stream does not ask the writer to wait. */
  write(message: unknown): Promise<void> {
    return this.writeJson(JSON.stringify(message));
  }

  /** A message already serialized (one line of JSON, no newline in it). */
  writeJson(json: string): Promise<void> {
    if (this.closed) return DONE;
    const line = `${json}\n`;
    if (this.drained) {
      // What the queue holds in memory, measured as cheaply as it is kept: a line's characters and what
      // its entry costs (its object and promise), so a queue of small answers is not undercounted.
      const held = this.stream.writableLength + this.queuedBytes + line.length + ENTRY_BYTES;
      if (held > this.maxQueuedBytes) {
        this.markClosed(new PeerNotReading(held));
        return DONE;
      }
      this.queuedBytes += line.length + ENTRY_BYTES;
      return new Promise((written) => this.waiting.push({ line, written }));
    }
    return this.put(line);
  }

  private put(line: string): Promise<void> {
    if (this.closed || this.stream.destroyed || this.stream.writableEnded) return DONE;
    const ok = this.stream.write(line, this.afterWrite);
    if (ok) return DONE;
    this.drained = new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.once('drain', done);
      this.stream.once('close', done);
    }).then(() => this.flush());
    return this.drained;
  }

  /**
   * After a drain: the queued lines in order, until the stream asks to wait again. Taken by index and
   * removed at once: shifting a long queue one line at a time is quadratic (150,000 queued answers held
   * the event loop 17–29 s when a plugin that never read them was killed).
   */
  private flush(): void {
    this.drained = undefined;
    let sent = 0;
    while (sent < this.waiting.length && !this.drained) {
      const next = this.waiting[sent++]!;
      this.queuedBytes -= next.line.length + ENTRY_BYTES;
      void this.put(next.line).then(next.written);
    }
    this.waiting.splice(0, sent);
  }

  // One callback for every write: a closure per line would be an allocation per message.
  private readonly afterWrite = (err?: Error | null): void => {
    if (err) this.markClosed(err);
  };

  private markClosed(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    // Nothing queued will be written: its writers are released and its memory with it.
    const dropped = this.waiting.splice(0);
    this.queuedBytes = 0;
    for (const entry of dropped) entry.written();
    this.onClosed(err);
  }
}

const DONE: Promise<void> = Promise.resolve();
/** What a queued line's entry costs beyond its characters (its object, its promise and resolver). */
const ENTRY_BYTES = 256;
