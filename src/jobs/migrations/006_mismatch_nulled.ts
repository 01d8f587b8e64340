/**
 * 006: per collection, how many promoted payload values did not fit their typed field under the
 * `null` mismatch policy (issue 10): the field was written null and the original value kept in
 * `$meta` under `<key>__raw`. Reported beside `nulls_dropped` so a user can account for every value.
 */
export const sql = `
ALTER TABLE collections ADD COLUMN mismatch_nulled INTEGER NOT NULL DEFAULT 0;
`;
