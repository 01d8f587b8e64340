/**
 * What must happen before the Milvus SDK is first loaded. bin/qdrant2milvus.js imports this module
 * on its own, before main.ts: Node loads the CommonJS packages of an ES module graph (the SDK)
 * before it runs the graph's first module, so an import at the top of main.ts comes too late.
 */
import { deferSdkBulkWriter } from '../milvus/sdk-lazy.ts';

deferSdkBulkWriter();
