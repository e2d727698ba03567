import { runRouterctl } from './cli.js';

runRouterctl(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`routerctl: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
