import { Field } from '../components/Field.tsx';
import { Select } from './Select.tsx';
import type { StorageForm, WizardState } from './state.ts';

interface Props {
  state: WizardState;
  patch: (p: Partial<WizardState>) => void;
}

/**
 * Upsert (the insert path) or bulk (files in the target's object storage, imported by Milvus's own
 * import jobs). The server decides whether the target can import; its refusal, with the reason,
 * shows where Migrate's errors show.
 */
export function ModeChoice({ state, patch }: Props) {
  const setStorage = (p: Partial<StorageForm>) => patch({ storage: { ...state.storage, ...p } });
  return (
    <fieldset className="mode">
      <legend>Write mode</legend>
      <label className="inline">
        <input type="radio" name="mode" value="upsert" checked={state.mode === 'upsert'} onChange={() => patch({ mode: 'upsert' })} /> Upsert{' '}
        <span className="hint">rows go through the target's insert path (any Milvus, Zilliz Cloud, Milvus Lite)</span>
      </label>
      <label className="inline">
        <input type="radio" name="mode" value="bulk" checked={state.mode === 'bulk'} onChange={() => patch({ mode: 'bulk' })} /> Bulk import{' '}
        <span className="hint">files in the target's object storage, imported by Milvus's import jobs (large collections)</span>
      </label>
      {state.mode === 'bulk' && (
        <div className="storage" role="group" aria-label="Object storage">
          <div className="grid2">
            <Field label="Storage endpoint" value={state.storage.endpoint} onChange={(endpoint) => setStorage({ endpoint })} placeholder="http://127.0.0.1:9000" hint="S3-compatible endpoint the target Milvus reads from." spellCheck={false} />
            <Field label="Bucket" value={state.storage.bucket} onChange={(bucket) => setStorage({ bucket })} placeholder="a-bucket" hint="The target's bucket (minio.bucketName)." spellCheck={false} />
          </div>
          <Field label="Prefix" value={state.storage.prefix} onChange={(prefix) => setStorage({ prefix })} placeholder="q2m" hint="Key prefix of the import files; each job writes under <prefix>/<job id>/." spellCheck={false} />
          <div className="grid2">
            <Field label="Access key" value={state.storage.accessKey} onChange={(accessKey) => setStorage({ accessKey })} autoComplete="off" spellCheck={false} />
            <Field label="Secret key" type="password" value={state.storage.secretKey} onChange={(secretKey) => setStorage({ secretKey })} autoComplete="off" hint="Kept sealed in the job store; never shown again." />
          </div>
          <div className="grid2">
            <Select label="File format" value={state.storage.format || 'parquet'} onChange={(v) => setStorage({ format: v as StorageForm['format'] })}
              options={[['parquet', 'Parquet (Milvus 2.3.4+; imports fastest)'], ['json', 'JSON (older Milvus)']]} />
            <Select label="Import API" value={state.storage.api || 'grpc'} onChange={(v) => setStorage({ api: v as StorageForm['api'] })}
              options={[['grpc', 'Import RPC (Milvus 2.2-2.3)'], ['rest', 'REST import jobs (Milvus 2.4+, Zilliz Cloud; untested live)']]} />
          </div>
        </div>
      )}
    </fieldset>
  );
}
