import { type DueBatch, type DuePosition, type DueSkip, isAfter } from '../store/deliveries.js';

/**
 * Where a peer worker's next read of due rows starts while requests are in flight. Rows on the wire
 * must not be read again; naming them all (`NOT IN` their ids) makes every read walk past them, so
 * reads continue after the last row sent instead — due rows are read in index order, and every row
 * before that position is on the wire.
 *
 * Except when a row is put back before the position: made due again at the very millisecond of the
 * position (a refresh, a redeliver, a recovered peer), or enqueued after the clock stepped back. An exact
 * read (by id) finds such rows, and is made once a second, after a rewind, and whenever the clock reads
 * earlier than the position; it turns back into a positional read once it finds nothing before the
 * position. With nothing in flight there is nothing to leave out at all.
 */
export class ReadCursor {
  private position?: DuePosition;
  private exact = false;

  /** What the next read leaves out, given the rows now on the wire. */
  skip(onTheWire: ReadonlySet<string>, now: number): DueSkip {
    if (onTheWire.size === 0) {
      this.position = undefined;
      this.exact = false;
      return {};
    }
    if (!this.position || this.exact || now < this.position.nextAttemptMs) return { ids: onTheWire };
    return { after: this.position };
  }

  /** The batch read with `skip` is on its way. */
  sent(batch: DueBatch, skip: DueSkip): void {
    if (!batch.first || !batch.last) return;
    // An exact read returns rows in order: if its first is past the position, nothing was left behind it.
    if (skip.ids && (!this.position || isAfter(batch.first, this.position))) this.exact = false;
    if (!this.position || isAfter(batch.last, this.position)) this.position = batch.last;
  }

  /** Rows may have been put back before the position: the next reads are exact until they find none. */
  rewind(): void {
    this.exact = true;
  }
}
