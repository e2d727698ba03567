/**
 * Node defines `FormData`, `Headers`, `Request` and `Response` as lazy globals: the first read loads its
 * fetch implementation (undici, and with it http2, tls, zlib, web streams) — ~4.5 MB resident. arktype
 * reads all four once, when it is imported, to know the built-in classes it can name; a daemon or plugin
 * that never fetches paid for them (issue 18: the memory of an idle process on a router).
 */
const FETCH_GLOBALS = ['FormData', 'Headers', 'Request', 'Response'] as const;

type AnyClass = abstract new (...args: never[]) => unknown;

/**
 * Runs `load` with each fetch global not yet loaded replaced by a class of the same name whose
 * `instanceof` asks the real one (loading it only then), and puts Node's lazy globals back afterwards:
 * what `load` keeps of them checks and names instances exactly as the real classes would.
 */
export async function withFetchGlobalsUnloaded<T>(load: () => Promise<T>): Promise<T> {
  const lazy = FETCH_GLOBALS.flatMap((name) => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    return descriptor?.get ? [{ name, descriptor, get: descriptor.get }] : [];
  });
  for (const { name, get } of lazy) {
    const real = () => get.call(globalThis) as AnyClass;
    const standIn = Object.defineProperties(function standIn() {}, {
      name: { value: name },
      [Symbol.hasInstance]: { value: (value: unknown) => value instanceof real() },
    });
    Object.defineProperty(globalThis, name, { value: standIn, configurable: true, writable: true });
  }
  try {
    return await load();
  } finally {
    for (const { name, descriptor } of lazy) Object.defineProperty(globalThis, name, descriptor);
  }
}
