import type { JobSummaryView } from '../../../src/api/schemas/responses.ts';

type Status = JobSummaryView['status'] | 'SKIPPED';

/** IN PROGRESS, SUCCESSFUL, FAILED, CANCELLED… as a coloured chip (the text carries the meaning). */
export function StatusChip({ status }: { status: Status }) {
  return <span className={`chip chip-${status.toLowerCase().replace('_', '-')}`}>{status.replace('_', ' ')}</span>;
}
