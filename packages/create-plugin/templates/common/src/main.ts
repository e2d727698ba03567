// The executable routerd-eventd starts (dist/main.js, the package's bin): it speaks the plugin protocol
// on stdin and stdout. Started by hand, it says what it is and exits 1.
import { serveStdio } from '@routerd/plugin-sdk/server';
import { plugin } from './plugin.js';

serveStdio(plugin);
