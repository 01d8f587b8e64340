/**
 * Where qdrant2milvus keeps its state (jobs.db, secret.key): one directory per user.
 *
 * Precedence: an explicit option (CLI `--data-dir`, the API server's dataDir, tests) > env QDRANT2MILVUS_HOME > ~/.qdrant2milvus.
 * The directory holds the job database (which has sealed credentials) and possibly the key that
 * unseals them, so it is created 0700: only its owner may list or read it.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { configError } from '../core/errors.ts';

export const HOME_ENV = 'QDRANT2MILVUS_HOME';

export interface HomeOptions {
  /** Explicit data directory; wins over the environment. */
  dataDir?: string;
  /** Environment to read QDRANT2MILVUS_HOME from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The data directory path, without touching the disk. Empty values count as unset. */
export function dataDirPath(options: HomeOptions = {}): string {
  const env = options.env ?? process.env;
  const chosen = options.dataDir || env[HOME_ENV] || join(homedir(), '.qdrant2milvus');
  return resolve(chosen);
}

/**
 * Resolves the data directory and creates it (and missing parents) with mode 0700.
 * Called once by whoever opens the job store (engine, CLI, server). An existing directory keeps
 * its mode: we do not silently chmod a directory the user chose. Throws config HOME_NOT_WRITABLE.
 */
export function resolveHome(options: HomeOptions = {}): string {
  const dir = dataDirPath(options);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw configError(
      'HOME_NOT_WRITABLE',
      `Cannot create the qdrant2milvus data directory ${dir}.`,
      `Choose a writable directory with --data-dir or ${HOME_ENV}.`,
      cause,
    );
  }
  return dir;
}
