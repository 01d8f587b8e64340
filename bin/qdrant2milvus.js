#!/usr/bin/env node
// Two ways to run, chosen by what is on disk:
// - a clone (src/ present): the TypeScript source through tsx, so edits take effect at once and a
//   stale build can never run in its place;
// - the installed package (`npm pack` ships dist/, not src/): the JavaScript compiled by `npm run
//   build:cli`, which starts ~2x faster than tsx and needs no loader (see tsconfig.build.json).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const compiled = join(root, 'dist', 'cli', 'main.js');
// start-up.ts runs before main's module graph is even linked: Node loads the CommonJS packages a
// graph imports (the Milvus SDK) before it runs the graph's first module, so an import at the top
// of main.ts would come too late.
const startUp = (dir, ext) => pathToFileURL(join(root, dir, 'cli', `start-up.${ext}`)).href;
if (existsSync(source)) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    // A clone installed without dev dependencies has no tsx.
    process.stderr.write(`error [TSX_MISSING]: ${root} is a source checkout, and tsx (a dev dependency) is not installed.\n  fix: Run \`npm ci\` there, or install the packed release: \`npm pack\`, then \`npm install -g ./qdrant2milvus-*.tgz\`.\n`);
    process.exit(2);
  }
  register();
  await import(startUp('src', 'ts'));
  await import(pathToFileURL(source).href);
} else {
  await import(startUp('dist', 'js'));
  await import(pathToFileURL(compiled).href);
}
