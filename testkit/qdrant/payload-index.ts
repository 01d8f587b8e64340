/** Payload index schemas as Qdrant 1.19 accepts and reports them (probed). */
import type { JsonObject } from '../../src/core/types.ts';
import { formatError } from './errors.ts';

/** Params Qdrant 1.19 reports (as null or its default) for a typed index schema that left them out. */
export const INDEX_PARAM_DEFAULTS: Record<string, JsonObject> = {
  integer: { lookup: null, range: null, is_principal: null },
  float: { is_principal: null },
  datetime: { is_principal: null },
  text: { tokenizer: 'word' },
};

/** A payload index schema's type; a bad one fails serde's untagged enum as a whole (Qdrant's text). */
export function fieldSchemaType(schema: unknown): string {
  const dataType = typeof schema === 'object' && schema !== null ? String((schema as JsonObject).type) : String(schema);
  if (!['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'].includes(dataType)) {
    throw formatError('data did not match any variant of untagged enum PayloadFieldSchema');
  }
  return dataType;
}
