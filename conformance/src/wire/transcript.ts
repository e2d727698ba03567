/** One line of a session transcript: what crossed the pipes, and the lifecycle events around it. */
export interface TranscriptEntry {
  /** Wall-clock time (RFC 3339). */
  at: string;
  /** Milliseconds since the session's spawn. */
  ms: number;
  kind: 'sent' | 'received' | 'stdout-violation' | 'event';
  /** Parsed message for sent/received. */
  message?: unknown;
  /** Raw text for sent lines that are not JSON (the suite sends broken lines on purpose) and for violations. */
  text?: string;
  /** For events: spawn, stdin-closed, exit, killed… */
  event?: string;
}

/** Keeps the last `limit` characters of a stream (stderr) plus its total size; memory stays bounded under a flood. */
export class TextTail {
  private text = '';
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: string): void {
    this.total += chunk.length;
    this.text += chunk;
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }

  toString(): string {
    return this.text.length > this.limit ? this.text.slice(-this.limit) : this.text;
  }

  /** The complete non-empty lines kept: not the first when the tail starts mid-line, not an unterminated last (a killed writer). */
  lines(): string[] {
    const lines = this.toString().split('\n');
    if (this.total > this.limit) lines.shift();
    lines.pop();
    return lines.filter((l) => l.trim());
  }
}
