/**
 * Proto3 field presence as Qdrant puts it on the wire. Qdrant's gRPC server (Rust, prost) never
 * writes a plain proto3 field that holds its default value (false, 0, "", the enum's first value);
 * protobufjs, under @grpc/proto-loader, writes every field that is set. A client cannot tell the two
 * apart through a generated API, but the conformance test decodes both servers' bytes with
 * `defaults: false` and sees the difference, and so would any client that checks presence.
 *
 * So every response message built here goes through withoutDefaults() before it is encoded: plain
 * fields equal to their default are dropped; oneof members and proto3 `optional` fields (a
 * synthetic oneof) keep their presence; message fields are walked. Objects are copied, never
 * changed in place (handlers may hand over the store's own objects).
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';

const roots = new Map<string, protobuf.Root>();

function rootFor(dir: string): protobuf.Root {
  let root = roots.get(dir);
  if (!root) {
    root = new protobuf.Root();
    // google/protobuf/* are protobufjs's bundled common types.
    root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(dir, target));
    root.loadSync('qdrant.proto', { keepCase: true });
    root.resolveAll();
    roots.set(dir, root);
  }
  return root;
}

/** The response type of `qdrant.<service>/<method>` in the protos at `dir`. */
export function responseType(dir: string, service: string, method: string): protobuf.Type {
  const m = rootFor(dir).lookupService(`qdrant.${service}`).methods[method];
  if (!m?.resolvedResponseType) throw new Error(`qdrant.${service}/${method}: no such RPC in ${dir}`);
  return m.resolvedResponseType;
}

function isDefault(field: protobuf.Field, v: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum) {
    return v === 0 || v === field.resolvedType.valuesById[0];
  }
  switch (field.type) {
    case 'string':
      return v === '';
    case 'bool':
      return v === false;
    case 'bytes':
      return (v as { length?: number }).length === 0;
    default:
      // Numbers; 64-bit ones travel as decimal strings (proto-loader `longs: String`).
      return Number(v) === 0 && !Object.is(Number(v), -0);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Buffer.isBuffer(v);

/** A copy of `msg` without the fields prost would leave off the wire. */
export function withoutDefaults(type: protobuf.Type, msg: unknown): unknown {
  if (!isObject(msg)) return msg;
  const out: Record<string, unknown> = { ...msg };
  for (const field of type.fieldsArray) {
    const v = out[field.name];
    if (v === undefined || v === null) continue;
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (field.map) {
      if (nested && isObject(v)) out[field.name] = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutDefaults(nested, x)]));
    } else if (field.repeated) {
      if (nested && Array.isArray(v)) out[field.name] = v.map((x) => withoutDefaults(nested, x));
    } else if (nested) {
      out[field.name] = withoutDefaults(nested, v);
    } else if (!field.partOf && isDefault(field, v)) {
      delete out[field.name];
    }
  }
  return out;
}
