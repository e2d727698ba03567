import { serveStdio } from '@routerd/plugin-sdk/server';
import { arpObserverPlugin } from './plugin.js';

serveStdio(arpObserverPlugin);
