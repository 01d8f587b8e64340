/**
 * Errors the test server reports, with Qdrant's HTTP status and wording. The REST layer turns them
 * into `{status: {error}, time}` bodies; the gRPC layer maps `status` to a gRPC code
 * (400 → INVALID_ARGUMENT, 404 → NOT_FOUND, 409 → ALREADY_EXISTS, 422 → INVALID_ARGUMENT).
 */
export class QdrantApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'QdrantApiError';
  }
}

export function collectionNotFound(name: string): QdrantApiError {
  return new QdrantApiError(404, `Not found: Collection \`${name}\` doesn't exist!`);
}

/** Qdrant's "Wrong input" (400): the request parsed but makes no sense for this collection. */
export function wrongInput(detail: string): QdrantApiError {
  return new QdrantApiError(400, `Wrong input: ${detail}`);
}

export function notExistingVector(name: string): QdrantApiError {
  return wrongInput(`Not existing vector name error: ${name}`);
}

/** The body does not deserialize into the request type: Qdrant answers 400 "Format error in JSON body". */
export function formatError(detail: string): QdrantApiError {
  return new QdrantApiError(400, `Format error in JSON body: ${detail}`);
}

/** The body deserialized but failed validation (e.g. `limit: 0`): Qdrant answers 422. */
export function validationError(detail: string): QdrantApiError {
  return new QdrantApiError(422, `Validation error in JSON body: [${detail}]`);
}

/** How serde_json names a JSON value in "invalid type: …" errors. */
export function serdeKind(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') {
    return Number.isInteger(Number(value)) ? `integer \`${value}\`` : `floating point \`${value}\``;
  }
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `boolean \`${value}\``;
  return Array.isArray(value) ? 'sequence' : value === null ? 'null' : 'map';
}
