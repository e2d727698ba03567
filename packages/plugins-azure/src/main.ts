import { serveStdio } from '@routerd/plugin-sdk/server';
import { azurePlugin } from './plugin.js';

serveStdio(azurePlugin);
