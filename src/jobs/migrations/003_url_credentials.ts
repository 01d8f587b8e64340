/**
 * 003: credentials written into the source URL or target URI (`http://user:password@host`) are
 * sealed like the API key and token, in their own columns; `source_url` / `target_uri` keep the
 * URL without them.
 *
 * Why: they were stored, listed (`jobs show`, the API) and echoed in plain text with the URL.
 * Rows written before this migration keep whatever URL they had: the store still reads
 * credentials out of such a URL when the job resumes (JobStore.secretsFor), and redacts them
 * wherever the URL is shown.
 */
export const sql = `
ALTER TABLE jobs ADD COLUMN source_userinfo_sealed TEXT;
ALTER TABLE jobs ADD COLUMN target_userinfo_sealed TEXT;
`;
