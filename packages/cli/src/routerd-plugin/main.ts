// routerd-plugin, as @routerd/cli installs it for operators (the release tarball links it): the same
// command as the bin of @routerd/conformance, where it lives so that a plugin author gets it with
// `npm i -D @routerd/conformance` and no native build.
import { main } from '@routerd/conformance/cli';

await main();
