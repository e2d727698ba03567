// What a router does not need at start is not loaded at start (issue 18): pino-pretty only for
// --log-format pretty. Checked in this file's own process (vitest runs each file in one of its own).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/daemon/logger.js';

const loaded = (name: string) =>
  Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(`/${name}/`));

describe('modules loaded on demand', () => {
  it('pino-pretty: not for the JSON log a router writes, and only when a person asks for pretty', () => {
    createLogger('info', 'json').info('json');
    expect(loaded('pino-pretty')).toBe(false);
    const pretty = createLogger('info', 'pretty');
    pretty.debug('pretty'); // below the level: nothing written, the transport is built all the same
    expect(loaded('pino-pretty')).toBe(true);
  });
});
