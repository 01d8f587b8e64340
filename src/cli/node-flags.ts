/**
 * V8 settings for a process the CLI starts to move data (a detached job: run-job.ts).
 *
 * Why a larger young generation: a page of 768-d points is decoded into a few thousand short-lived
 * objects that live until the page is encoded; with V8's default 16 MiB semi-space a scavenge often
 * lands while pages are in flight, so their objects are copied and promoted, and die in the old
 * generation, where only full mark-compacts of the whole heap free them. 32 MiB measured -12 % of
 * our CPU per point (docs/performance.md), for ~30 MB more peak RSS; 64 MiB was no better.
 *
 * V8 reads the size only when the process starts (v8.setFlagsFromString later leaves the new space
 * as it was: probed), so it goes on the command line of the child we spawn. The CLI's own foreground
 * process starts through the `#!/usr/bin/env node` line, which cannot carry flags portably
 * (`env -S` is missing from BusyBox, i.e. Alpine images) and a re-exec launcher would be a second
 * process between the user and the job (signals, pid): there, NODE_OPTIONS does it (README).
 *
 * The other V8 setting a data process gets, the old generation's growth (src/core/heap-growth.ts),
 * needs no flag here: V8 reads it whenever it sizes the heap, so the copy sets it at run time and
 * the foreground CLI, `serve` and detached jobs all get it.
 */
import { nodeFlagChosen } from '../core/node-flag-chosen.ts';

export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=32';

/**
 * Node flags for a data-moving child: the young generation size, unless the user already chose one
 * (in this process's flags or NODE_OPTIONS, which the child inherits): theirs wins.
 */
export function dataProcessNodeArgs(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  return nodeFlagChosen('--max-semi-space-size', execArgv, nodeOptions) ? [] : [YOUNG_GENERATION_FLAG];
}
