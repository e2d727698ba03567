import type { Writable } from 'node:stream';

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
      let line = Buffer.concat(this.chunks).toString('utf8');
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim().length > 0) this.onLine(line);
    }
    this.chunks = [];
    this.size = 0;
    this.skipping = false;
  }
}

/**
 * The one writer of a protocol stream: messages go out whole and in order, and backpressure
 * (`drain`) is respected. A broken pipe marks the writer closed instead of throwing.
 */
export class LineWriter {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly stream: Writable,
    private readonly onClosed: (err?: Error) => void = () => {},
  ) {
    stream.on('error', (err) => this.markClosed(err));
    stream.on('close', () => this.markClosed());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(message: unknown): Promise<void> {
    const line = `${JSON.stringify(message)}\n`;
    this.tail = this.tail.then(() => this.writeLine(line));
    return this.tail;
  }

  private writeLine(line: string): Promise<void> {
    if (this.closed || this.stream.destroyed || this.stream.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const ok = this.stream.write(line, (err) => {
        if (err) this.markClosed(err);
        if (ok) resolve();
      });
      if (!ok) {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('close', done);
      }
    });
  }

  private markClosed(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed(err);
  }
}
