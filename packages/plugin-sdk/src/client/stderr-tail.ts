import { MAX_LOG_LINE_BYTES, truncateUtf8 } from './bounded-text.js';

/** Keeps the last `limit` bytes of a stream's text for error reports; memory stays bounded under a flood. */
export class TailBuffer {
  private chunks: string[] = [];
  private size = 0;
  total = 0;

  constructor(private readonly limit = 16 * 1024) {}

  push(text: string): void {
    this.total += text.length;
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
    if (this.size > this.limit) {
      const only = this.chunks[0]!;
      this.chunks = [only.slice(only.length - this.limit)];
      this.size = this.limit;
    }
  }

  toString(): string {
    return this.chunks.join('');
  }
}

/**
 * Splits stderr text into lines, each cut to `maxBytes` with a marker: only a line's head is kept while
 * it streams in, so an endless line costs no more memory than a short one. (The protocol's LineDecoder
 * drops an oversize message whole; a log line is worth its head.)
 */
export class LogLineSplitter {
  private head = '';
  /** UTF-8 bytes of the current line beyond `head`. */
  private dropped = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxBytes = MAX_LOG_LINE_BYTES,
  ) {}

  push(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      this.append(nl === -1 ? text.slice(start) : text.slice(start, nl));
      if (nl === -1) return;
      this.finishLine();
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without a line feed still counts. */
  end(): void {
    if (this.head !== '' || this.dropped > 0) this.finishLine();
  }

  private append(part: string): void {
    // `maxBytes` UTF-16 units hold at least `maxBytes` bytes of UTF-8: enough for the cut at the end.
    const room = Math.max(0, this.maxBytes - this.head.length);
    if (part.length <= room) {
      this.head += part;
      return;
    }
    this.head += part.slice(0, room);
    this.dropped += Buffer.byteLength(part.slice(room));
  }

  private finishLine(): void {
    const line = this.head.endsWith('\r') && this.dropped === 0 ? this.head.slice(0, -1) : this.head;
    const total = this.dropped > 0 ? Buffer.byteLength(line) + this.dropped : undefined;
    this.head = '';
    this.dropped = 0;
    if (line.trim() !== '' || total !== undefined) this.onLine(truncateUtf8(line, this.maxBytes, total));
  }
}

/**
 * Parses the JSON log lines the SDK logger writes; any other line is a plain debug message, except that
 * a JSON line cut to its head (LogLineSplitter) keeps the `level` it names, so a long error still shows.
 */
export function parseLogLine(line: string): { level: string; msg: string; fields: Record<string, unknown> } {
  try {
    const obj = JSON.parse(line) as Record<string, unknown>;
    if (obj && typeof obj === 'object' && typeof obj.msg === 'string') {
      const { level, msg, ts: _ts, ...fields } = obj;
      return { level: typeof level === 'string' ? level : 'info', msg, fields };
    }
  } catch {
    // not JSON: a plain text line, or a JSON line that was cut
  }
  const cutLevel = line.startsWith('{') ? CUT_JSON_LEVEL.exec(line)?.[1] : undefined;
  return { level: cutLevel ?? 'debug', msg: line, fields: {} };
}

const CUT_JSON_LEVEL = /"level":\s*"(debug|info|warn|error)"/;
