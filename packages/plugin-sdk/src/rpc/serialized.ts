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
}
