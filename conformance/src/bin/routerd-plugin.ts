#!/usr/bin/env node
// routerd-plugin: the plugin author's tool (`routerd-plugin test`), with no native dependency —
// `npm i -D @routerd/conformance` is all a plugin author installs.
import { main } from '../cli.js';

await main();
