/**
 * A value together with its JSON text, for an answer that had to be serialized before it was sent (to
 * check exactly what the peer will read): the connection writes `json` as it is instead of serializing
 * `value` a second time.
 */
export class Serialized<T> {
  private constructor(
    /** The value as the peer will read it: `json` parsed back (JSON drops `undefined`, dates become text…). */
    readonly value: T,
    readonly json: string,
  ) {}

  static of<T>(value: unknown): Serialized<T> {
    const json = JSON.stringify(value);
    return new Serialized(JSON.parse(json) as T, json);
  }

  /**
   * A value a protocol gate accepted as it is, serialized without being read back: its JSON says the
   * same, since a gate reads an `undefined` field as absent (JSON drops it) and refuses NaN, Infinity and
   * any non-JSON value where the schema wants a string, number or array.
   */
  static ofChecked<T>(value: T): Serialized<T> {
    return new Serialized(value, JSON.stringify(value));
  }
}
