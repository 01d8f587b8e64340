/**
 * The store's side of credentials: seals them for one job's columns, unseals them for the
 * engine, and remembers what it unsealed so error messages written later can be scrubbed.
 * The key is loaded on first use, so jobs without credentials never need one.
 */
import { configError, isMigrationError, redact } from '../core/errors.ts';
import { loadSecretKey, SecretBox, type SecretKey } from './secrets.ts';

export interface Secrets {
  apiKey?: string;
  token?: string;
}

export interface SealedSecrets {
  apiKey: string | null;
  token: string | null;
}

export class JobSecrets {
  readonly #dataDir: string;
  readonly #env: NodeJS.ProcessEnv;
  #key: SecretKey | undefined;
  #box: SecretBox | undefined;
  /** Plaintext credentials this process has unsealed, by job id. */
  readonly #known = new Map<string, string[]>();

  constructor(dataDir: string, env: NodeJS.ProcessEnv, key?: SecretKey) {
    this.#dataDir = dataDir;
    this.#env = env;
    this.#key = key;
  }

  /** Seals a job's credentials; the job id and column are bound in as AAD. */
  seal(jobId: string, secrets: Secrets): SealedSecrets {
    return {
      apiKey: secrets.apiKey ? this.#secretBox().seal(secrets.apiKey, `${jobId}:apiKey`) : null,
      token: secrets.token ? this.#secretBox().seal(secrets.token, `${jobId}:token`) : null,
    };
  }

  /** Unseals; throws config SECRET_KEY_MISMATCH (and friends) with the job id in the message. */
  open(jobId: string, sealed: SealedSecrets): Secrets {
    try {
      const out: Secrets = {};
      if (sealed.apiKey) out.apiKey = this.#secretBox().open(sealed.apiKey, `${jobId}:apiKey`);
      if (sealed.token) out.token = this.#secretBox().open(sealed.token, `${jobId}:token`);
      this.#known.set(jobId, [out.apiKey, out.token].filter((s): s is string => !!s));
      return out;
    } catch (e) {
      if (!isMigrationError(e)) throw e;
      throw configError(e.code, `Job ${jobId}: ${e.message}`, e.fix, e);
    }
  }

  /**
   * Replaces the job's credentials in `text` with ***. Best effort by design: it knows only what
   * this process unsealed (the engine always has), and callers should redact at the source too.
   */
  scrub(jobId: string, text: string): string {
    return redact(text, this.#known.get(jobId) ?? []);
  }

  forget(jobId: string): void {
    this.#known.delete(jobId);
  }

  #secretBox(): SecretBox {
    this.#key ??= loadSecretKey(this.#dataDir, this.#env);
    this.#box ??= new SecretBox(this.#key);
    return this.#box;
  }
}
