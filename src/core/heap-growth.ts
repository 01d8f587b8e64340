/**
 * How far V8 lets the old generation grow past what survived its last full GC, in a process that
 * copies data: 50 % (`--heap-growing-percent=50`) instead of V8's own factor (up to 4x when the
 * program allocates fast, as a copy does), but never less than MIN_SLACK_BYTES.
 *
 * Why the bound: a copy's live heap is flat (pages in flight, the queue: 70-90 MB on `rich` from
 * 20k to 200k points), but its peak RSS is the slack V8 leaves between full GCs: 485-564 MB on rich
 * into Milvus Lite (docs/performance.md, "Peak RSS of migrate on rich is V8 slack"), over the 400
 * MB the product promises. With 50 % the same copy peaks far lower. It is a soft bound: unlike
 * `--max-old-space-size` it never turns a wide row into an out-of-memory crash.
 *
 * Why the floor: with less than ~40-50 MB of slack, V8 starts its next incremental marking (a
 * "task" start) as soon as the previous full GC is done, so a copy of 768-d points (live heap
 * ~46 MB: the slack 50 % gives is ~23-38 MB) was marking its whole heap all the time: a full GC
 * every 2-3 s, about half of our CPU in a migrate into Milvus Lite (--trace-gc
 * --trace-incremental-marking, docs/performance.md). It starts marking when ~30 MB of slack is
 * left: with 64 MB it marks once the heap has grown ~30 MB, a few times less often, for ~30 MB
 * more peak heap (ref768 into Lite 3: 100 % growth, ~60 MB of slack, cut our CPU about as much as
 * 200 %, ~97 MB).
 *
 * Set at run time: V8 reads this flag each time it sizes the heap after a full GC (probed on Node
 * 20: 11 → 27 full GCs on the same loop, as with the command-line flag), so the foreground CLI,
 * detached jobs, `serve` and the bench all get it without a flag on their command line (which the
 * foreground CLI cannot carry portably: src/cli/node-flags.ts). The percent is recomputed from the
 * live heap after each full GC (a PerformanceObserver of GC entries), for the next one.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';
import { nodeFlagChosen } from './node-flag-chosen.ts';

export const HEAP_GROWING_PERCENT = 50;

/** The least slack a full GC leaves before the next one, whatever the live heap. */
export const MIN_SLACK_BYTES = 64 * 2 ** 20;

/** A small live heap (start-up, a tiny collection) keeps a bounded factor: 2.5x, not V8's up-to-4x. */
const MAX_PERCENT = 150;

let bounded = false;
let percent = 0;

/** The growth percent for a live heap of `liveBytes`: 50 %, or what gives MIN_SLACK_BYTES. */
export function growingPercentFor(liveBytes: number): number {
  if (liveBytes <= 0) return MAX_PERCENT;
  return Math.min(MAX_PERCENT, Math.max(HEAP_GROWING_PERCENT, Math.ceil((100 * MIN_SLACK_BYTES) / liveBytes)));
}

function setPercent(value: number): void {
  if (value === percent) return;
  v8.setFlagsFromString(`--heap-growing-percent=${value}`);
  percent = value;
}

/**
 * Bounds the heap's growth for the rest of this process, once, unless the user chose a growth
 * themselves (`--heap-growing-percent` in the process's flags or NODE_OPTIONS): theirs wins.
 * Returns whether this process's growth is now ours.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  if (bounded) return true;
  if (nodeFlagChosen('--heap-growing-percent', execArgv, nodeOptions)) return false;
  setPercent(growingPercentFor(v8.getHeapStatistics().used_heap_size));
  // After each full GC, what is used is about what survived it: the next limit follows it.
  new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
      setPercent(growingPercentFor(v8.getHeapStatistics().used_heap_size));
    }
  }).observe({ entryTypes: ['gc'] });
  bounded = true;
  return true;
}

/** Whether boundHeapGrowth set the growth in this process (tests). */
export function heapGrowthBounded(): boolean {
  return bounded;
}

/** The growth percent last set here (tests). */
export function heapGrowingPercent(): number {
  return percent;
}
