/**
 * The payload-key parts of the API's responses (issue 10; src/core/payload-schema.ts is the
 * vocabulary): what the source holds under each key, what the plan does with it, and what the
 * target accepted when probed.
 */
import { z } from 'zod';

const scalarType = z.enum(['Bool', 'Int64', 'Double', 'VarChar', 'Timestamptz', 'Geometry', 'Array']);
const arrayElementType = z.enum(['Bool', 'Int64', 'Double', 'VarChar']);
const jsonKind = z.enum(['string', 'integer', 'float', 'bool', 'object', 'array', 'null']);
export const payloadKeyStats = z.object({
  key: z.string(),
  index: z.object({ type: z.enum(['keyword', 'integer', 'float', 'bool', 'datetime', 'uuid', 'text', 'geo']), isTenant: z.boolean().optional(), isPrincipal: z.boolean().optional(), points: z.number().optional() }).optional(),
  present: z.number(),
  sampled: z.number(),
  kinds: z.partialRecord(jsonKind, z.number()),
  elementKinds: z.partialRecord(jsonKind, z.number()).optional(),
  maxStringBytes: z.number().optional(),
  maxArrayLength: z.number().optional(),
  distinct: z.number().optional(),
});

export const payloadKeyPlan = z.object({
  key: z.string(),
  mode: z.enum(['dynamic', 'field']),
  jsonIndex: z.object({ castType: z.enum(['VARCHAR', 'DOUBLE', 'BOOL', 'ARRAY_VARCHAR', 'ARRAY_DOUBLE', 'ARRAY_BOOL']), indexType: z.string() }).nullable().optional(),
  field: z
    .object({
      name: z.string(),
      type: scalarType,
      elementType: arrayElementType.optional(),
      maxLength: z.number().int().optional(),
      maxCapacity: z.number().int().optional(),
      nullable: z.boolean(),
      defaultValue: z.union([z.string(), z.number()]).optional(),
      index: z.object({ type: z.string(), params: z.record(z.string(), z.union([z.number(), z.string()])).optional() }).nullable(),
      analyzer: z.object({ params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])) }).optional(),
      enableMatch: z.boolean().optional(),
      onMismatch: z.enum(['reject', 'null', 'fail']),
    })
    .optional(),
  stats: payloadKeyStats.optional(),
  note: z.string().optional(),
});

export const scalarCapabilities = z.object({
  types: z.array(scalarType),
  arrayElementTypes: z.array(arrayElementType),
  nullable: z.boolean(),
  indexTypes: z.partialRecord(scalarType, z.array(z.string())),
  jsonPathIndex: z.boolean(),
  textMatch: z.boolean(),
  partitionKey: z.boolean(),
});
