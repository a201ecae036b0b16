#!/usr/bin/env node
// Runs the bundled CLI (built by `npm run build`, which `npm install` runs via `prepare`).
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
