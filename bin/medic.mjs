#!/usr/bin/env node
// Entry point for `npx medic` / `npm start`: runs the TypeScript sources through tsx's loader,
// so there is no build step between `npm install` and a working CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
