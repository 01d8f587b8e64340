#!/usr/bin/env node
// The CLI runs from its TypeScript source through tsx (a runtime dependency): one code path for
// users, tests and the demo, and no stale build to drift from the source.
import { register } from 'tsx/esm/api';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
