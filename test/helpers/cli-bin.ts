import { join } from 'node:path';
import { repoRoot } from '../../testkit/python.ts';

/**
 * The CLI entry tests spawn. `npm test` and `npm run test:matrix` compile src/ once per run and set
 * Q2M_TEST_CLI_BIN to that build (scripts/test-cli-build.mjs: ~1 s less per start than tsx); a test
 * file run by hand spawns the clone's bin, which runs src/ through tsx.
 */
export const cliBin: string = process.env.Q2M_TEST_CLI_BIN || join(repoRoot, 'bin', 'qdrant2milvus.js');
