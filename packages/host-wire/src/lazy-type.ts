/**
 * A schema built on first use (issue 18: the idle daemon's memory). arktype builds every node of a schema
 * when `type(…)` runs and keeps it for the life of the process, so a module of schemas costs its heap at
 * import, whether or not a request ever needs them: ~4.6 MB for this package's, most of which describe
 * responses the daemon only writes. `lazyType(() => type(…))` stands for the schema — same type, same
 * calls, same behaviour, usable inside another schema — and builds it the first time anything reads it.
 */
export function lazyType<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = () => {
    built ??= build();
    return built;
  };
  // The target is a function so that the stand-in can be called like the schema (a Type is callable).
  return new Proxy(function lazySchema() {} as unknown as T, {
    get: (_, key) => Reflect.get(schema(), key),
    has: (_, key) => Reflect.has(schema(), key),
    apply: (_, self, args) => Reflect.apply(schema() as (...a: unknown[]) => unknown, self, args),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}
