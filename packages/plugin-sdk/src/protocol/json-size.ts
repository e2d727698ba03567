/**
 * Whether a value's JSON text fits a byte budget, mostly without writing the text. An upper bound of its
 * UTF-8 size is summed by walking the value (a string's characters count 6 bytes each, the most one can
 * take escaped: `\u001f`); only a value the bound cannot clear is serialised and measured. An event is a
 * few hundred bytes against a 64 KiB limit, so the walk, ~6× cheaper than JSON.stringify, decides it
 * on every busy path (issue 18).
 */
export function jsonFitsBytes(value: unknown, maxBytes: number): boolean {
  return (
    jsonBytesAtMost(value, maxBytes) <= maxBytes || Buffer.byteLength(JSON.stringify(value) ?? '') <= maxBytes
  );
}

/**
 * An upper bound of `Buffer.byteLength(JSON.stringify(value))`, or any number over `budget` once it is
 * sure to exceed it (the walk stops there: a cycle or a huge value costs no more than the budget). A value
 * JSON.stringify would not write plainly (a toJSON method) counts as over the budget, to be measured.
 */
export function jsonBytesAtMost(value: unknown, budget: number): number {
  switch (typeof value) {
    case 'string':
      return 2 + 6 * value.length;
    case 'number':
      return 24; // the longest a double prints: -1.2345678901234567e-308
    case 'boolean':
      return 5;
    case 'bigint':
      return Number.POSITIVE_INFINITY; // JSON.stringify refuses it: measured, it throws as it always did
    case 'object': {
      if (value === null) return 4;
      if (budget < 2) return 2; // over already: nothing deeper is walked (a cycle ends here)
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return Number.POSITIVE_INFINITY;
      let n = 2;
      if (Array.isArray(value)) {
        for (const item of value) {
          n += 1 + Math.max(4, jsonBytesAtMost(item, budget - n)); // undefined prints as null here
          if (n > budget) return n;
        }
        return n;
      }
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        n += 4 + 6 * key.length + jsonBytesAtMost((value as Record<string, unknown>)[key], budget - n);
        if (n > budget) return n;
      }
      return n;
    }
    default:
      return 4; // undefined, a function or a symbol: left out, or null in an array
  }
}
