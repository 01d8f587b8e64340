/**
 * What the compare engine's walk (compare-walk.ts) is made of: its steps and positions, the
 * source pages it expects the target to hold (mapped by the migration's toRows), and the
 * comparison of one source row with one target row (compareRow, the sample check's rules).
 */
import type { SourceReader } from './contracts.ts';
import { compareIds } from './ids.ts';
import type { CollectionPlan, Point, PointId, RejectedPoint, Row } from './types.ts';
import { samePayloadText } from './compare-payload.ts';
import { compareRow, type Mismatch } from './verify.ts';
import { toRows } from '../mapping/rows.ts';
import { estimateRowBytes } from './defaults.ts';

/** `merge`: the Int64 range merge of the version before the lookup walk; a checkpoint of it still
 *  resumes (compare-walk.ts), no walk starts one any more. */
export type WalkPhase = 'merge' | 'source' | 'extra';

/** Where a walk starts: a phase, and the cursor past which it continues (null: its beginning). */
export interface WalkPosition {
  phase: WalkPhase;
  cursor: string | null;
}

export interface ExtraRow {
  id: bigint | string;
  detail: string;
  /** A second copy of a key the source has: removing the key removes both, so the source row
   *  must be written again (sync does). */
  rewrite?: Row;
}

/** What one step of the walk found. Steps follow the walk's order; none is empty of meaning. */
export interface CompareStep {
  phase: WalkPhase;
  /** Source rows the target lacks. */
  missing: Row[];
  /** Source rows the target holds with other content, and what differs. `staleKeys`: the target
   *  row has top-level payload keys the source row lacks (see sync.ts: an upsert may keep them). */
  different: Array<{ want: Row; diffs: Mismatch[]; staleKeys: boolean }>;
  /** Source points found equal on the target. */
  equal: number;
  /** Target keys the source lacks, or holds but the plan leaves out. */
  extra: ExtraRow[];
  /** Source points the plan leaves out (toRows' rejections), with their reasons. */
  rejected: RejectedPoint[];
  /** Where a walk resumed after this step continues. */
  cursor: string | null;
}

export interface WalkOptions {
  /** Source points per read (and per step). Default pageRows(plan). */
  batch?: number;
  /** Resume here (a checkpoint); from the start when absent. */
  from?: WalkPosition;
  /** Target keys per window of the extra phase's ids-only scan. Default MAX_WINDOW; tests use a few. */
  window?: number;
  signal?: AbortSignal;
  /** Before the extra phase counts and scans the target (sync: send the repairs it holds). */
  beforeExtra?: () => Promise<void>;
}


/** Milvus refuses `offset + limit` above 16,384. */
export const MAX_WINDOW = 16_384;

/**
 * Source points per page of the walk by default: about 8 MB of vectors, at most 2,048. Large
 * pages, because each is one `pk in [...]` query, and Milvus 2.3.5 answers a Strong query in
 * ~0.2 s whatever its size (ref768 20k: verify --full 9.3 s with pages of 2,048 against 15.4 s
 * with 512, load 12); Milvus Lite 3.2.2's time is proportional to the rows either way.
 */
export function pageRows(plan: CollectionPlan): number {
  return Math.max(256, Math.min(2048, Math.floor(8 * 2 ** 20 / estimateRowBytes(plan))));
}

export function emptyStep(phase: WalkPhase, cursor: string | null): CompareStep {
  return { phase, missing: [], different: [], equal: 0, extra: [], rejected: [], cursor };
}


export interface ExpectedPage {
  rows: Row[];
  rejected: RejectedPoint[];
  /** The page's last point id (Qdrant order). */
  last: PointId | undefined;
}

/** Source pages past `after` (Qdrant order): the rows the target must hold and the rejections. */
export async function* expectedPages(plan: CollectionPlan, reader: SourceReader, options: WalkOptions, after: PointId | undefined): AsyncGenerator<ExpectedPage> {
  // Packed, as the migration reads: dense vectors stay Qdrant's float32 bytes (compared with the
  // target's byte for byte) and payloads stay JSON bytes until something reads them.
  const read = reader.read({ collection: plan.source, pageSize: options.batch ?? pageRows(plan), packedVectors: true, signal: options.signal, ...(after !== undefined && { from: after }) });
  for await (const page of read) {
    // `from` is inclusive: the cursor's own point was compared before the checkpoint.
    const points: Point[] = after === undefined ? page.points : page.points.filter((p) => compareIds(p.id, after) > 0);
    const { rows, rejected } = toRows(plan, points);
    yield { rows, rejected, last: points.at(-1)?.id };
  }
  // A read stopped by the signal must never look like the end of the source: sync would take
  // every target row after it for an extra one and delete it.
  options.signal?.throwIfAborted();
}

export function compareInto(plan: CollectionPlan, step: CompareStep, want: Row, got: Row): void {
  // Payloads known equal (compare-payload.ts): the rest of the row compared as always.
  const diffs = compareRow(plan, want, got, !samePayloadText(want, got));
  if (diffs.length === 0) step.equal++;
  else step.different.push({ want, diffs, staleKeys: Object.keys(got.dynamic).some((k) => !Object.hasOwn(want.dynamic, k)) });
}

export const LEFT_OUT = "left out by the plan's policy, yet present in the target";
export const SECOND_ROW = 'a second row with this primary key';
export const NOT_IN_SOURCE = 'not in the source';
