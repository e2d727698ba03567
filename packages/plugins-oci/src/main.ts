import { serveStdio } from '@routerd/plugin-sdk/server';
import { ociPlugin } from './plugin.js';

serveStdio(ociPlugin);
