/**
 * The transcoder (issue 12 §1): the bytes a vector arrives in are the bytes it leaves in. The
 * gRPC scroll decoder keeps dense vectors as Float32Array views of Qdrant's packed float32
 * (arena.ts); mapping passes them through as values like any other (src/mapping decides, as
 * ever); the Upsert encoder writes their bytes as the column (columns.ts), or converts them to
 * float16 where the plan says Float16Vector (float16.ts); sparse vectors are decoded into Milvus's
 * row bytes (sparse.ts).
 */
export { FloatArena } from './arena.ts';
export { float32Column, sparseRow } from './columns.ts';
export { float16Column, halfBits } from './float16.ts';
export { PackedSparse, packedSparse } from './sparse.ts';
