/**
 * `verify --full`: every point of the source against the target, by content, in bounded memory.
 * It counts what the compare engine's walk (compare-walk.ts) finds; `sync` (sync.ts) repairs the
 * same findings. Memory is a few source pages and their target rows (the next ones read ahead),
 * or a window of ids in the extra phase, whatever the collection size.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { walkCollection, type CompareStep, type WalkPosition } from './compare-walk.ts';
import type { Mismatch } from './verify.ts';

export interface FullCheckOptions {
  /** Source points per read and per step. Default: about 8 MB of vectors, at most 2,048 (compare-step.ts pageRows). */
  batch?: number;
  /** How many ids of each kind (missing, extra, different) the result lists. Default 20. */
  firstN?: number;
  signal?: AbortSignal;
  /** After each batch: points of the source compared so far. */
  onProgress?: (compared: number) => void;
  /** Resume a check here, with the counts it had (a verify-full job's checkpoint). */
  from?: { position: WalkPosition; counts: FullCheck };
  /** After each step, with where a resume would continue and the counts so far. */
  onStep?: (position: WalkPosition, counts: FullCheck) => void | Promise<void>;
}

export interface FullCheck {
  /** Source points compared (those the plan leaves out are checked for absence, not counted). */
  compared: number;
  missing: number;
  extra: number;
  different: number;
  /** The first `firstN` of each kind; a different point has one entry per field that differs. */
  first: { missing: Mismatch[]; extra: Mismatch[]; different: Mismatch[] };
}

export function emptyFullCheck(): FullCheck {
  return { compared: 0, missing: 0, extra: 0, different: 0, first: { missing: [], extra: [], different: [] } };
}

export async function checkFull(plan: Parameters<typeof walkCollection>[0], reader: SourceReader, sink: Sink, options: FullCheckOptions = {}): Promise<FullCheck> {
  const acc = options.from ? structuredClone(options.from.counts) : emptyFullCheck();
  const firstN = options.firstN ?? 20;
  const walk = walkCollection(plan, reader, sink, { batch: options.batch, signal: options.signal, ...(options.from && { from: options.from.position }) });
  for await (const step of walk) {
    count(acc, step, firstN, plan.target);
    options.onProgress?.(acc.compared);
    await options.onStep?.({ phase: step.phase, cursor: step.cursor }, acc);
  }
  return acc;
}

/** Adds one step's findings to the totals, keeping the first `firstN` ids of each kind. */
export function count(acc: FullCheck, step: CompareStep, firstN: number, target: string): void {
  for (const want of step.missing) {
    if (acc.first.missing.length < firstN) acc.first.missing.push({ id: String(want.id), what: 'missing', detail: `not found in target collection ${target}` });
  }
  step.different.forEach((d, i) => {
    if (acc.different + i < firstN) acc.first.different.push(...d.diffs);
  });
  for (const x of step.extra) if (acc.first.extra.length < firstN) acc.first.extra.push({ id: String(x.id), what: 'extra', detail: x.detail });
  acc.missing += step.missing.length;
  acc.different += step.different.length;
  acc.extra += step.extra.length;
  acc.compared += step.missing.length + step.different.length + step.equal;
}
