#!/usr/bin/env node
// The `zabkit` command. The sources are TypeScript; tsx compiles them on load.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/shell/cli.ts');
process.exitCode = await main(process.argv.slice(2));
