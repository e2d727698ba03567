import { serveStdio } from '@routerd/plugin-sdk/server';
import { awsPlugin } from './plugin.js';

serveStdio(awsPlugin);
