/** What every text parser returns: the records it understood and a count of the lines it skipped. */
export interface ParseResult<T> {
  records: T[];
  /** Malformed lines or blocks, skipped (never fatal: one bad line must not hide the rest). */
  skipped: number;
  /** The first few skipped lines, for a log line an operator can act on. */
  samples: string[];
}

export const MAX_SAMPLES = 3;

export class ParseCollector<T> {
  readonly records: T[] = [];
  skipped = 0;
  readonly samples: string[] = [];

  add(record: T): void {
    this.records.push(record);
  }

  skip(line: string): void {
    this.skipped++;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(line.slice(0, 200));
  }

  result(): ParseResult<T> {
    return { records: this.records, skipped: this.skipped, samples: this.samples };
  }
}
