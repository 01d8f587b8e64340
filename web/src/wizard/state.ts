/** What the wizard remembers between steps (in memory only: credentials never touch storage). */
import type { SourceCheckView } from '../../../src/api/schemas/responses.ts';
import type { PayloadAwareEdit } from './payload-edits.ts';

export interface SourceForm {
  url: string;
  apiKey: string;
}

export interface TargetForm {
  uri: string;
  token: string;
  database: string;
}

export interface WizardState {
  step: number;
  source: SourceForm;
  /** The last successful test of `source` (cleared when the source fields change). */
  checked: SourceCheckView | null;
  target: TargetForm;
  /** The target in the form was reached and readiness judged against it. */
  targetOk: boolean;
  selected: string[];
  /** Plan edits by source collection, in plan-file form: sent to /api/plan and /api/jobs. */
  edits: Record<string, PayloadAwareEdit>;
  /** The last valid-or-not plan's source → target names, for the Migrate step's summary. */
  planned: Array<{ source: string; target: string; sourceCount: number }>;
  options: { pageSize: string; verifySample: string };
  /** How rows reach the target (issue 14). */
  mode: 'upsert' | 'bulk';
  /** mode bulk: the target's object storage; the keys stay in memory like the other credentials. */
  storage: StorageForm;
}

export interface StorageForm {
  endpoint: string;
  bucket: string;
  prefix: string;
  accessKey: string;
  secretKey: string;
  /** Import file format and import API; '' = the server's default (parquet, grpc). */
  format: '' | 'parquet' | 'json';
  api: '' | 'grpc' | 'rest';
}

export const initialWizard: WizardState = {
  step: 0,
  source: { url: 'http://localhost:6333', apiKey: '' },
  checked: null,
  target: { uri: 'http://localhost:19530', token: '', database: 'default' },
  targetOk: false,
  selected: [],
  edits: {},
  planned: [],
  options: { pageSize: '', verifySample: '' },
  mode: 'upsert',
  storage: { endpoint: '', bucket: '', prefix: '', accessKey: '', secretKey: '', format: '', api: '' },
};

/** Request bodies: empty credentials mean "none". */
export const sourceBody = (s: SourceForm) => ({ url: s.url.trim(), ...(s.apiKey ? { apiKey: s.apiKey } : {}) });
export const targetBody = (t: TargetForm) => ({ uri: t.uri.trim(), ...(t.token ? { token: t.token } : {}), database: t.database.trim() || 'default' });
export const storageBody = (s: StorageForm) => ({
  endpoint: s.endpoint.trim(),
  bucket: s.bucket.trim(),
  ...(s.prefix.trim() ? { prefix: s.prefix.trim() } : {}),
  ...(s.accessKey ? { accessKey: s.accessKey } : {}),
  ...(s.secretKey ? { secretKey: s.secretKey } : {}),
  ...(s.format ? { format: s.format } : {}),
  ...(s.api ? { api: s.api } : {}),
});
