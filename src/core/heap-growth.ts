/**
 * How far V8 lets the old generation grow past what survived its last full GC, in a process that
 * copies data: 50 % (`--heap-growing-percent=50`) instead of V8's own factor (up to 4x when the
 * program allocates fast, as a copy does).
 *
 * Why: a copy's live heap is flat (pages in flight, the queue: 70-90 MB on `rich` from 20k to 200k
 * points), but its peak RSS is the slack V8 leaves between full GCs: 485-564 MB on rich into
 * Milvus Lite (docs/performance.md, "Peak RSS of migrate on rich is V8 slack"), over the 400 MB the product
 * promises. With 50 % the same copy peaks far lower for a few per cent more CPU (measured runs in
 * docs/performance.md). It is a soft bound: unlike `--max-old-space-size` it never turns a wide
 * row into an out-of-memory crash.
 *
 * Set at run time: V8 reads this flag each time it sizes the heap after a full GC (probed on Node
 * 20: 11 → 27 full GCs on the same loop, as with the command-line flag), so the foreground CLI,
 * detached jobs, `serve` and the bench all get it without a flag on their command line (which the
 * foreground CLI cannot carry portably: src/cli/node-flags.ts).
 */
import v8 from 'node:v8';
import { nodeFlagChosen } from './node-flag-chosen.ts';

export const HEAP_GROWING_PERCENT = 50;

let bounded = false;

/**
 * Bounds the heap's growth for the rest of this process, once, unless the user chose a growth
 * themselves (`--heap-growing-percent` in the process's flags or NODE_OPTIONS): theirs wins.
 * Returns whether this process's growth is now ours.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  if (bounded) return true;
  if (nodeFlagChosen('--heap-growing-percent', execArgv, nodeOptions)) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  bounded = true;
  return true;
}

/** Whether boundHeapGrowth set the growth in this process (tests). */
export function heapGrowthBounded(): boolean {
  return bounded;
}
