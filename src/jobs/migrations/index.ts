/**
 * The ordered list of schema migrations. Migration N (1-based) brings the database from
 * user_version N-1 to N.
 *
 * Why TypeScript modules and not .sql files: `tsc` does not copy .sql files into dist/, and the CLI
 * runs from dist/ once built (bin/qdrant2milvus.js), so reading `new URL('./migrations/', ...)`
 * would work under tsx and silently find nothing (or crash) in the build. Static imports are
 * checked by the compiler, survive any bundler, and need no copy step. Each file stays a
 * numbered, append-only unit exactly like a .sql file would.
 */
import { sql as m001 } from './001_init.ts';
import { sql as m002 } from './002_checkpoint_rejected.ts';
import { sql as m003 } from './003_url_credentials.ts';
import { sql as m004 } from './004_compare_jobs.ts';
import { sql as m005 } from './005_bulk_files.ts';
import { sql as m006 } from './006_mismatch_nulled.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '001_init', sql: m001 },
  { version: 2, name: '002_checkpoint_rejected', sql: m002 },
  { version: 3, name: '003_url_credentials', sql: m003 },
  { version: 4, name: '004_compare_jobs', sql: m004 },
  { version: 5, name: '005_bulk_files', sql: m005 },
  { version: 6, name: '006_mismatch_nulled', sql: m006 },
];
