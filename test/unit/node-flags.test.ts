/**
 * The V8 flags a detached job's process starts with (src/cli/node-flags.ts): a 32 MiB semi-space
 * unless the user chose a size, and V8 really sizes the young generation by it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dataProcessNodeArgs, YOUNG_GENERATION_FLAG } from '../../src/cli/node-flags.ts';

describe('data process node flags', () => {
  it('adds the young generation size unless the user chose one', () => {
    assert.deepEqual(dataProcessNodeArgs([], ''), [YOUNG_GENERATION_FLAG]);
    assert.deepEqual(dataProcessNodeArgs(['--import', 'tsx'], '--max-old-space-size=4096'), [YOUNG_GENERATION_FLAG]);
    // The user's own size, on the command line or in NODE_OPTIONS (which the child inherits), wins.
    assert.deepEqual(dataProcessNodeArgs(['--max-semi-space-size=8'], ''), []);
    assert.deepEqual(dataProcessNodeArgs([], '--trace-warnings  --max_semi_space_size=64'), []);
  });

  it('gives the child a larger young generation than the default', () => {
    // heap_size_limit counts the young generation's maximum (a multiple of the semi-space), fixed at start.
    const limit = (args: string[]) =>
      Number(
        execFileSync(process.execPath, [...args, '-e', "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], {
          env: { ...process.env, NODE_OPTIONS: '' },
        }).toString(),
      );
    const ours = limit(dataProcessNodeArgs([], ''));
    assert.equal(ours, limit(['--max-semi-space-size=32']));
    assert.ok(ours > limit([]), `heap limit ${ours} with our flags, ${limit([])} without`);
  });
});
