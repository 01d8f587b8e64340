/**
 * What a job kind gives the engine (engine.ts): a body that runs over a connected context, and the
 * rule that turns the body's report into the job's end status. The engine owns everything the
 * kinds share (claiming, connections, the target lease, cancel, events); each kind's file owns its
 * work: migrate-job.ts (copy, with the bulk hook) and compare-job.ts (verify-full, sync).
 */
import type { Sink, SourceReader } from '../core/contracts.ts';
import { MigrationError } from '../core/errors.ts';
import type { MigrationEvents } from '../core/events.ts';
import type { MigrationPlan } from '../core/types.ts';
import type { JobStore } from './store.ts';
import type { Job, JobStatus } from './types.ts';

/** Options a job keeps in the store (JobSpec.options). */
export interface JobRunOptions {
  /** Points per source read. Default: the pipeline's default. */
  pageSize?: number;
  /** Points compared by content after the counts. Default 0. */
  verifySample?: number;
  /** Source transport, decided when the job was created (the CLI probes gRPC first). Default rest. */
  sourceTransport?: 'rest' | 'grpc';
  /** Qdrant's gRPC port for the gRPC transport. Default 6334. */
  sourceGrpcPort?: number;
  /** How long one operation retries a transient source or target failure before the job fails
   *  (resumably). Default 60 (DEFAULT_RETRY_BUDGET_SECONDS). */
  retryBudgetSeconds?: number;
}

/** What the engine hands a job's body once both sides are connected. */
export interface JobContext {
  id: string;
  job: Job;
  /** The job's plan without the collections a migration already finished. */
  plan: MigrationPlan;
  reader: SourceReader;
  sink: Sink;
  events: MigrationEvents;
  signal: AbortSignal;
  store: JobStore;
}

/** How a finished body ends its job. */
export interface JobOutcome {
  status: Extract<JobStatus, 'SUCCESSFUL' | 'FAILED' | 'CANCELLED'>;
  error?: MigrationError;
}

export interface JobKindRunner<R> {
  /** Only reads the target: the engine takes no target lease (a read-only token may run it). */
  readOnly: boolean;
  /** The job's work; rejects on failure or cancel (the engine records the error). */
  body(ctx: JobContext): Promise<R>;
  /** Records what the report says in the store and tells the status the job ends in. */
  end(store: JobStore, id: string, report: R): JobOutcome;
}

export function cancelledError(id: string): MigrationError {
  return new MigrationError({ code: 'CANCELLED', kind: 'config', message: `Job ${id} was cancelled.` });
}
