/**
 * Target leases: one writer per target collection, whatever machine or data dir it runs from
 * (issue 13, defect 13: two `migrate --if-exists drop` runs with different QDRANT2MILVUS_HOME both
 * wrote one collection, one dropped it under the other, and both said SUCCESSFUL).
 *
 * The lease lives in the target itself, in a small collection `_q2m_leases` of the job's database:
 * one row per target collection (primary key = its name) holding the owning job, a random token of
 * this run, and an expiry. Why a collection rather than the target collection's description or
 * properties: the lease must exist before the collection does (it guards the drop and the create),
 * and Milvus Lite 3.2.2 keeps neither descriptions nor properties.
 *
 * Milvus has no compare-and-set, so taking a lease is: read (refuse when another job holds an
 * unexpired lease), write ours, wait a settle time, read back (refuse when another token won the
 * race). Two writers racing inside the settle time both read the last write and only one goes on.
 * A holder re-reads on every renewal, so one that finds its lease taken (it expired while the
 * holder was cut off) stops with TARGET_LEASE_LOST instead of writing on.
 *
 * The same job (same id, e.g. resumed after a crash) may retake its own lease at once; another job
 * only after it expired. Expiry is wall-clock based: hosts sharing a target should keep their clocks
 * in sync to well under the lease time (60 s by default).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ConsistencyLevelEnum, DataType } from '@zilliz/milvus2-sdk-node';
import { configError, MigrationError } from '../core/errors.ts';
import { sleep } from '../core/retry.ts';
import type { TargetLease } from '../core/contracts.ts';
import type { MilvusConnection } from './client.ts';
import { call } from './errors.ts';
import { collectionExists } from './exists.ts';

export const LEASE_COLLECTION = '_q2m_leases';

export interface LeaseOptions {
  /** How long a lease holds without renewal, ms. Default: env QDRANT2MILVUS_LEASE_SECONDS, else 60 s. */
  ttlMs?: number;
  /** Wait between writing a lease and reading it back, ms. Default 1000: far above the time two
   *  racing writers' read-then-write takes, so the later write is visible to both read-backs. */
  settleMs?: number;
  /** Said in another job's refusal, to tell the user who holds the target (no secrets). */
  holder?: string;
}

/** The lease time: QDRANT2MILVUS_LEASE_SECONDS (tests shorten it), else 60 s. */
export function defaultLeaseTtlMs(): number {
  const seconds = Number(process.env.QDRANT2MILVUS_LEASE_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 60_000;
}

interface LeaseRow {
  target: string;
  owner: string;
  token: string;
  expiresMs: number;
  holder: string;
}

const VARCHAR = 512;

/** Creates, indexes and loads the lease collection unless it exists. Safe against a racing creator. */
async function ensureLeaseCollection(conn: MilvusConnection): Promise<void> {
  const { client, database } = conn;
  if (!(await collectionExists(conn, LEASE_COLLECTION))) {
    const fields = [
      { name: 'target', data_type: DataType.VarChar, is_primary_key: true, autoID: false, max_length: VARCHAR },
      { name: 'owner', data_type: DataType.VarChar, max_length: 64 },
      { name: 'token', data_type: DataType.VarChar, max_length: 64 },
      { name: 'expires_ms', data_type: DataType.Int64 },
      { name: 'holder', data_type: DataType.VarChar, max_length: VARCHAR },
      // Milvus wants a vector field in every collection; this one is never searched.
      { name: 'unused_vector', data_type: DataType.FloatVector, dim: 2 },
    ];
    try {
      await call(conn.ctx('CreateCollection', LEASE_COLLECTION), () =>
        client.createCollection({ collection_name: LEASE_COLLECTION, db_name: database, fields, description: 'qdrant2milvus target leases' }),
      );
    } catch (e) {
      // Another writer created it between our check and our create: that is fine.
      if (!(await collectionExists(conn, LEASE_COLLECTION))) throw e;
    }
  }
  const indexed = await client.describeIndex({ collection_name: LEASE_COLLECTION, db_name: database }).catch(() => undefined);
  if (!indexed?.index_descriptions?.length) {
    await call(conn.ctx('CreateIndex', LEASE_COLLECTION), () =>
      client.createIndex({ collection_name: LEASE_COLLECTION, db_name: database, field_name: 'unused_vector', index_type: 'FLAT', metric_type: 'L2' }),
    ).catch(async (e: unknown) => {
      const again = await client.describeIndex({ collection_name: LEASE_COLLECTION, db_name: database }).catch(() => undefined);
      if (!again?.index_descriptions?.length) throw e;
    });
  }
  await call(conn.ctx('LoadCollection', LEASE_COLLECTION), () => client.loadCollectionSync({ collection_name: LEASE_COLLECTION, db_name: database }));
}

async function readLeases(conn: MilvusConnection, targets: readonly string[]): Promise<Map<string, LeaseRow>> {
  const { client, database } = conn;
  const filter = `target in [${targets.map((t) => JSON.stringify(t)).join(', ')}]`;
  const res = await call(conn.ctx('Query', LEASE_COLLECTION), () =>
    client.query({
      collection_name: LEASE_COLLECTION,
      db_name: database,
      filter,
      output_fields: ['target', 'owner', 'token', 'expires_ms', 'holder'],
      consistency_level: ConsistencyLevelEnum.Strong,
    }),
  );
  const out = new Map<string, LeaseRow>();
  for (const r of res.data as Array<Record<string, unknown>>) {
    out.set(String(r.target), { target: String(r.target), owner: String(r.owner), token: String(r.token), expiresMs: Number(r.expires_ms), holder: String(r.holder ?? '') });
  }
  return out;
}

async function writeLeases(conn: MilvusConnection, rows: LeaseRow[]): Promise<void> {
  const { client, database } = conn;
  const data = rows.map((r) => ({ target: r.target, owner: r.owner, token: r.token, expires_ms: r.expiresMs, holder: r.holder, unused_vector: [0, 0] }));
  await call(conn.ctx('Upsert', LEASE_COLLECTION), () => client.upsert({ collection_name: LEASE_COLLECTION, db_name: database, data }));
}

async function deleteLeases(conn: MilvusConnection, targets: string[]): Promise<void> {
  if (targets.length === 0) return;
  const { client, database } = conn;
  const filter = `target in [${targets.map((t) => JSON.stringify(t)).join(', ')}]`;
  await call(conn.ctx('Delete', LEASE_COLLECTION), () => client.delete({ collection_name: LEASE_COLLECTION, db_name: database, filter }));
}

function busy(conn: MilvusConnection, owner: string, row: LeaseRow): MigrationError {
  const left = Math.max(0, Math.ceil((row.expiresMs - Date.now()) / 1000));
  return configError(
    'TARGET_BUSY',
    `Job ${row.owner} (${row.holder}) is writing into target ${conn.describe(row.target)}; two jobs may not write one collection at once.`,
    `Wait for job ${row.owner} to end, then run this one again (\`qdrant2milvus jobs resume ${owner}\`). If that job is dead, its lease expires within ${left} s.`,
  );
}

function lost(conn: MilvusConnection, owner: string, target: string, now: LeaseRow | undefined): MigrationError {
  const by = now ? `job ${now.owner} (${now.holder}) holds it now` : 'nobody holds it now';
  return new MigrationError({
    code: 'TARGET_LEASE_LOST',
    // Not config (that promises "no data moved"): data moved, and the state is not what it must be.
    kind: 'system',
    message: `Job ${owner} lost its lease on target ${conn.describe(target)} (${by}): it stopped writing so that two jobs never write one collection.`,
    fix: `Make sure no other job writes that collection, then resume this one with \`qdrant2milvus jobs resume ${owner}\` (it continues from its checkpoints).`,
  });
}

/**
 * Takes the lease on every target collection for job `owner`. Throws TARGET_BUSY (config) when
 * another job holds one of them unexpired, or wins the race for it; leaves nothing held then.
 */
export async function acquireLeases(conn: MilvusConnection, targets: readonly string[], owner: string, options: LeaseOptions = {}): Promise<TargetLease> {
  const ttlMs = options.ttlMs ?? defaultLeaseTtlMs();
  const settleMs = options.settleMs ?? 1000;
  const holder = (options.holder ?? `pid ${process.pid} on ${hostname()}`).slice(0, VARCHAR);
  const names = [...new Set(targets)].sort();
  // A resume whose collections all finished writes nothing: nothing to guard.
  if (names.length === 0) return { ttlMs, renew: async () => undefined, release: async () => undefined };
  const token = randomUUID();
  await ensureLeaseCollection(conn);
  const held = await readLeases(conn, names);
  for (const row of held.values()) if (row.owner !== owner && row.expiresMs > Date.now()) throw busy(conn, owner, row);
  const write = () => writeLeases(conn, names.map((target) => ({ target, owner, token, expiresMs: Date.now() + ttlMs, holder })));
  await write();
  await sleep(settleMs);
  const back = await readLeases(conn, names);
  const stolen = names.find((t) => back.get(t)?.token !== token);
  if (stolen !== undefined) {
    await deleteLeases(conn, names.filter((t) => back.get(t)?.token === token)).catch(() => undefined);
    const winner = back.get(stolen);
    throw winner ? busy(conn, owner, winner) : lost(conn, owner, stolen, undefined);
  }
  return {
    ttlMs,
    async renew() {
      // Re-read first: renewing a lease someone else took would be two writers again.
      const now = await readLeases(conn, names);
      const gone = names.find((t) => now.get(t)?.token !== token);
      if (gone !== undefined) throw lost(conn, owner, gone, now.get(gone));
      await write();
    },
    async release() {
      const now = await readLeases(conn, names);
      await deleteLeases(conn, names.filter((t) => now.get(t)?.token === token));
    },
  };
}
