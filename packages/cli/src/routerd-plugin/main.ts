// routerd-plugin: the plugin author's tool. `routerd-plugin test` is the conformance runner; its engine
// and command live in @routerd/conformance, so authors can also call runConformance() from their tests.
import { runRouterdPlugin } from '@routerd/conformance/cli';

runRouterdPlugin(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`routerd-plugin: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
