/**
 * What the target can hold, from its GetVersion answer and the URI, plus one probe where a version
 * number is not enough to know.
 *
 * Facts behind the gates (see the report in the PR / issue note for sources):
 *  - Milvus Lite answers `milvus_lite-<v>`. 3.2.2 rejects Float16/BFloat16/Int8/Binary vector fields
 *    at CreateCollection. It ACCEPTS a nullable FloatVector field and a row with null there, but a
 *    query returns that null as a zero vector without valid_data: the null is lost, so nullable
 *    vectors are reported unsupported (writing zeros instead of "absent" would be silent corruption).
 *  - FLOAT16_VECTOR exists since Milvus 2.4; Array of Struct with MAX_SIM since 2.6.4 (DESIGN.md).
 *  - Nullable vector fields: the 2.6 docs ("Nullable & Default") still list only scalar fields, and
 *    Zilliz's June 2026 notes say they need "the latest 2.6.x". No exact patch is documented, so for
 *    Milvus >= 2.6 we probe: create a throwaway collection with a nullable vector field and drop it.
 */
import type { TargetCapabilities, TargetKind } from '../core/types.ts';
import { DataType } from '@zilliz/milvus2-sdk-node';
import type { MilvusConnection } from './client.ts';
import { statusFailed } from './errors.ts';

export type Semver = [number, number, number];

/** `v2.6.4`, `2.6.4-gpu`, `milvus_lite-3.2.2` → [2,6,4] / [3,2,2]; undefined when there is no x.y.z. */
export function parseVersion(version: string): Semver | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function atLeast(v: Semver | undefined, min: Semver): boolean {
  if (!v) return false;
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i]! > min[i]!;
  return true;
}

export function targetKind(uri: string, version: string): TargetKind {
  if (version.startsWith('milvus_lite')) return 'milvus-lite';
  let host = '';
  try {
    host = new URL(uri.includes('://') ? uri : `http://${uri}`).hostname.toLowerCase();
  } catch {
    host = '';
  }
  if (host.endsWith('zillizcloud.com') || host.endsWith('zilliz.com.cn') || /zilliz/i.test(version)) return 'zilliz';
  return 'milvus';
}

/** Pure part: what the kind and version say. `nullableVector` here is "worth probing", not a fact. */
export function capabilitiesFromVersion(uri: string, version: string): TargetCapabilities {
  const kind = targetKind(uri, version);
  if (kind === 'milvus-lite') {
    return { kind, version, float16Vector: false, sparseVector: true, nullableVector: false, arrayOfStruct: false, autoIndex: false };
  }
  const v = parseVersion(version);
  // Zilliz Cloud may report a version we cannot parse; it runs current Milvus, so assume 2.4+ types
  // but not the newest features (a wrong "no" gives a clear plan error; a wrong "yes" fails later).
  const modern = kind === 'zilliz' && !v;
  return {
    kind,
    version,
    float16Vector: modern || atLeast(v, [2, 4, 0]),
    sparseVector: modern || atLeast(v, [2, 4, 0]),
    nullableVector: atLeast(v, [2, 6, 0]),
    arrayOfStruct: atLeast(v, [2, 6, 4]),
    autoIndex: true,
  };
}

export async function detectCapabilities(conn: MilvusConnection): Promise<TargetCapabilities> {
  const caps = capabilitiesFromVersion(conn.uri, conn.version);
  if (caps.nullableVector) caps.nullableVector = await probeNullableVector(conn);
  return caps;
}

/** Creates and drops `_q2m_probe_<random>` with a nullable FloatVector field. */
async function probeNullableVector(conn: MilvusConnection): Promise<boolean> {
  const name = `_q2m_probe_${Math.random().toString(36).slice(2, 10)}`;
  const res = await conn.client
    .createCollection({
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
        { name: 'v', data_type: DataType.FloatVector, dim: 2, nullable: true },
      ],
    })
    .catch(() => undefined);
  if (!res || statusFailed(res)) return false;
  await conn.client.dropCollection({ collection_name: name }).catch(() => undefined);
  return true;
}
