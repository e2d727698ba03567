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

/** Splits stderr into lines and parses the JSON log lines the SDK logger writes. */
export function parseLogLine(line: string): { level: string; msg: string; fields: Record<string, unknown> } {
  try {
    const obj = JSON.parse(line) as Record<string, unknown>;
    if (obj && typeof obj === 'object' && typeof obj.msg === 'string') {
      const { level, msg, ts: _ts, ...fields } = obj;
      return { level: typeof level === 'string' ? level : 'info', msg, fields };
    }
  } catch {
    // not JSON: a plain text line
  }
  return { level: 'debug', msg: line, fields: {} };
}
