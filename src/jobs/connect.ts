/**
 * How a job opens its source and target: with the job's credentials, and with retries sized for a
 * job rather than for an interactive command. A job rides out an outage of either side for up to
 * its retry budget (JobRunOptions.retryBudgetSeconds, default 60 s), reporting each retry, then
 * fails resumably with the last error.
 */
import type { Sink, SourceReader } from '../core/contracts.ts';
import type { MigrationError } from '../core/errors.ts';
import { withUserinfo } from '../core/url-credentials.ts';
import type { Secrets } from './job-secrets.ts';
import type { Job } from './types.ts';
import type { JobRunOptions } from './job-body.ts';

/** Default of JobRunOptions.retryBudgetSeconds. */
export const DEFAULT_RETRY_BUDGET_SECONDS = 60;

export interface ConnectRetry {
  /** How long one operation may keep retrying transient errors, in ms. */
  budgetMs: number;
  /** Called before each retry wait, for the job's events and error log. */
  onRetry: (side: 'source' | 'target', error: MigrationError, attempt: number, delayMs: number) => void;
}

export type Connect = (
  job: Job,
  secrets: Secrets,
  retry: ConnectRetry,
) => Promise<{ reader: SourceReader; sink: Sink }>;

/** Bounded by time (budgetMs), not by count: the count is only a backstop. */
const MANY = Number.MAX_SAFE_INTEGER;

export const defaultConnect: Connect = async (job, secrets, retry) => {
  // Loaded on first use: the clients take ~1.4 s to import, which job listing should not pay.
  const [{ createQdrantReader }, { createMilvusSink }] = await Promise.all([import('../qdrant/index.ts'), import('../milvus/index.ts')]);
  const options = job.options as JobRunOptions;
  const reader = createQdrantReader({
    // The store keeps URL credentials sealed apart from the URL: put them back to connect.
    url: withUserinfo(job.source.url, secrets.sourceUserinfo),
    apiKey: secrets.apiKey,
    transport: options.sourceTransport ?? 'rest',
    grpcPort: options.sourceGrpcPort,
    retry: { retries: MANY, baseMs: 200, maxMs: 5000, budgetMs: retry.budgetMs, onRetry: (e, n, ms) => retry.onRetry('source', e, n, ms) },
  });
  try {
    const sink = await createMilvusSink({
      uri: withUserinfo(job.target.uri, secrets.targetUserinfo),
      token: secrets.token,
      database: job.target.database,
      retry: { retries: MANY, budgetMs: retry.budgetMs, onRetry: (e, n, ms) => retry.onRetry('target', e, n, ms) },
    });
    return { reader, sink };
  } catch (e) {
    await reader.close();
    throw e;
  }
};
