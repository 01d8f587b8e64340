/**
 * The console in a real browser (Debian's Chromium through playwright-core), against the Qdrant
 * test server and Milvus Lite, with `serve` started in-process on a free loopback port: a full
 * migration through the wizard, a second (slowed) job cancelled, its details, and the errors a
 * user must understand (bad API key, duplicate target name). Then wave 2: the payload-keys table
 * (two keys promoted, the tenant key as partition key, num_partitions edited) migrated and
 * verified; bulk mode refused with the server's reason on Milvus Lite; "Full verify" and "Sync" of
 * the finished job, each its own job with its passes, and "in sync at". Each step leaves a screenshot in
 * test-results/screenshots; with UPDATE_SCREENSHOTS=1 in docs/screenshots, which the README shows
 * (so a plain test run does not rewrite committed images with new ports and times).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/api/server.ts';
import { isConsoleBuilt } from '../../src/api/static.ts';
import { repoRoot } from '../../testkit/python.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

const API_KEY = 'e2e-source-key-4d2c81';
const STORAGE_SECRET = 'e2e-storage-secret-5c2e';
const SHOTS = process.env.UPDATE_SCREENSHOTS ? join(repoRoot, 'docs', 'screenshots') : join(repoRoot, 'test-results', 'screenshots');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'];

let h: Harness;
let server: RunningServer;
let browser: Browser;
let page: Page;
let docs: string;
let rich: string;
let slow: string;
let cancelledJob: string;
/** Wave 2 (issues 10, 11, 14): the collection with every payload index type, and its migration. */
let tenants: string;
let migration: string;

/** The steps build on each other: after a failure the rest would only time out, one by one. */
let broken = false;
const step = (name: string, fn: () => Promise<void>) =>
  it(name, async (t) => {
    if (broken) return t.skip('an earlier step failed');
    try {
      await fn();
    } catch (e) {
      broken = true;
      // For the person debugging it; test-results/ is git-ignored.
      await page?.screenshot({ path: join(repoRoot, 'test-results', 'console-failure.png'), fullPage: true }).catch(() => undefined);
      throw e;
    }
  });

/** The wave-2 steps build on each other too, but not on the steps above. */
let broken2 = false;
const step2 = (name: string, fn: () => Promise<void>) =>
  it(name, async (t) => {
    if (broken2) return t.skip('an earlier step failed');
    try {
      await fn();
    } catch (e) {
      broken2 = true;
      await page?.screenshot({ path: join(repoRoot, 'test-results', 'console-wave2-failure.png'), fullPage: true }).catch(() => undefined);
      throw e;
    }
  });

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const button = (name: string) => page.getByRole('button', { name, exact: true });
const collection = (name: string) => page.getByRole('region', { name: `Collection ${name}` });
const keyRow = (key: string) => page.locator(`tr[data-key="${key}"]`);
const jobIdFromUrl = () => decodeURIComponent(page.url().split('/').pop()!);

before(async () => {
  // `npm test` builds the console first; a direct run of this file builds it if needed.
  if (!isConsoleBuilt()) execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web'], { cwd: repoRoot, stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  h = await startHarness({ apiKey: API_KEY });
  [docs, rich, slow, tenants] = await Promise.all([
    h.seed('basic', 400, { collection: 'docs' }),
    h.seed('rich', 150, { collection: 'products' }),
    h.seed('basic', 3000, { collection: 'archive' }),
    h.seed('payload', 200, { collection: 'tenants' }),
  ]);
  await h.seed('manhattan', 30, { collection: 'legacy_manhattan' });
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir: mkdtempSync(join(tmpdir(), 'q2m-e2e-')) });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await h?.stop();
});

describe('console', () => {
  step('says clearly when the API key is wrong, and connects with the right one', async () => {
    await page.goto(server.url);
    await page.getByLabel('Cluster endpoint').fill(h.qdrantUrl);
    await page.getByLabel('API key').fill('not-the-key');
    await button('Test connection').click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Connection failed[\s\S]*API key was not accepted/);
    await shot('01-connect-bad-key');
    await page.getByLabel('API key').fill(API_KEY);
    // Keyboard: Enter in a field tests the connection (a real form).
    await page.getByLabel('API key').press('Enter');
    await page.getByText('Connected.').waitFor();
    assert.equal(await alert.count(), 0);
    await shot('02-connect');
  });

  step('lists the collections with their readiness and checks the target', async () => {
    await button('Next').click();
    await page.getByLabel(docs, { exact: true }).waitFor();
    assert.match(await page.getByRole('row', { name: /legacy_manhattan/ }).innerText(), /Needs changes[\s\S]*Manhattan/);
    await page.getByLabel('Target URI').fill(h.milvusUri);
    await button('Check target').click();
    await page.getByText('✓ Target reachable').waitFor();
    await page.getByLabel(docs, { exact: true }).check();
    await page.getByLabel(rich, { exact: true }).check();
    await shot('03-select');
    await button('Next').click();
  });

  step('previews the schema, shows each problem where it belongs, and takes edits', async () => {
    const products = collection(rich);
    // Milvus Lite holds no null vector: the points lacking one are an error on that vector's row.
    const problemRow = products.locator('tr.problem-row', { hasText: 'lack' }).first();
    await problemRow.waitFor();
    assert.match(await problemRow.innerText(), /error/i);
    await products.getByLabel('Points lacking a vector').selectOption('skip');
    await collection(docs).getByLabel('Target field for the unnamed vector').fill('embedding');
    await collection(docs).getByLabel('Target collection name').fill('docs_v1');
    await collection(docs).getByText('✓ "docs_v1" is available.').waitFor();
    await page.getByText('The plan is valid.').waitFor();
    assert.equal(await collection(docs).getByLabel('Auto ID: off').isDisabled(), true);
    await shot('04-schema');
    await button('Next').click();
  });

  step('migrates through the wizard and shows the job reach SUCCESSFUL, verified', async () => {
    await page.getByText(/docs → docs_v1/).waitFor();
    await shot('05-migrate');
    await button('Migrate').click();
    await page.waitForURL(/#\/jobs\/[^/]+$/);
    await page.locator('h1 .chip', { hasText: 'SUCCESSFUL' }).waitFor({ timeout: 120_000 });
    await page.getByText('✓ Verified: every target collection').waitFor();
    const rows = await page.getByRole('row', { name: /docs → docs_v1/ }).innerText();
    assert.match(rows, /400[\s\S]*400[\s\S]*verified/);
    await shot('06-job-successful');
  });

  step('refuses a target name that already exists, live', async () => {
    await page.getByRole('link', { name: 'New migration' }).click();
    await button('Next').click();
    await page.getByLabel(slow, { exact: true }).check();
    await button('Next').click();
    const name = collection(slow).getByLabel('Target collection name');
    await name.fill('docs_v1');
    const check = collection(slow).getByText('✗ A collection named "docs_v1" already exists');
    await check.waitFor();
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    await page.getByText(/problem\(s\) to fix/).waitFor();
    assert.equal(await button('Next').isDisabled(), true);
    await shot('07-duplicate-name');
    await name.fill('archive_v1');
    await collection(slow).getByText('✓ "archive_v1" is available.').waitFor();
    await page.getByText('The plan is valid.').waitFor();
  });

  step('starts a second, slow job, shows it move live and cancels it', async () => {
    await button('Next').click();
    await page.getByText('Run options').click();
    await page.getByLabel('Page size').fill('50');
    h.testServer!.faults.configure({ rules: [{ route: 'POST /collections/archive/points/scroll', latencyMs: 300 }] });
    await button('Migrate').click();
    await page.waitForURL(/#\/jobs\/[^/]+$/);
    cancelledJob = decodeURIComponent(page.url().split('/').pop()!);
    await page.locator('h1 .chip', { hasText: 'IN PROGRESS' }).waitFor();
    await page.getByText(/[1-9][\d,]* points\/s/).first().waitFor();
    await shot('08-job-in-progress');
    await button(`Cancel job ${cancelledJob}`).click();
    await page.locator('h1 .chip', { hasText: 'CANCELLED' }).waitFor();
    h.testServer!.faults.clear();
    await button(`Resume job ${cancelledJob}`).waitFor();
  });

  step('lists both jobs on the Jobs page with their status', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const cancelledRow = page.locator(`tr[data-job="${cancelledJob}"]`);
    await cancelledRow.getByText('CANCELLED').waitFor();
    await page.locator('tbody tr').getByText('SUCCESSFUL').waitFor();
    assert.equal(await page.locator('tbody tr').count(), 2);
    await shot('09-jobs');
  });

  step("opens the cancelled job's details: counts per collection, verification and the error log", async () => {
    await page.getByRole('link', { name: `View details of job ${cancelledJob}` }).click();
    await page.getByText(`Job ${cancelledJob} was cancelled.`).waitFor();
    await page.getByRole('heading', { name: 'Error log' }).waitFor();
    await page.getByText('Not verified: the job stopped').waitFor();
    const row = await page.getByRole('row', { name: /archive → archive_v1/ }).innerText();
    assert.match(row, /CANCELLED[\s\S]*[1-9][\d,]* \/ 3,000 points/, 'the points copied before the cancel stay counted');
    await button(`Resume job ${cancelledJob}`).waitFor();
    await shot('10-job-details');
  });
});

describe('console: payload keys, bulk mode, full verify and sync', () => {
  step2('shows the payload keys of the collection with what the source holds', async () => {
    await page.goto(server.url);
    await page.getByLabel('Cluster endpoint').fill(h.qdrantUrl);
    await page.getByLabel('API key').fill(API_KEY);
    await button('Test connection').click();
    await page.getByText('Connected.').waitFor();
    await button('Next').click();
    await page.getByLabel('Target URI').fill(h.milvusUri);
    await button('Check target').click();
    await page.getByText('✓ Target reachable').waitFor();
    await page.getByLabel(tenants, { exact: true }).check();
    await button('Next').click();
    const tenant = keyRow('tenant');
    await tenant.waitFor();
    assert.match(await tenant.innerText(), /string[\s\S]*keyword \(tenant\)/);
    assert.match(await keyRow('mixed').innerText(), /integer \d+%[\s\S]*string \d+%/, 'a mixed-type key shows each observed type with its share');
    // A dynamic key cannot be the partition key: its switch is locked, saying why.
    assert.equal(await page.getByLabel('Partition key: tenant').isDisabled(), true);
    assert.match(await tenant.innerText(), /promote it to a field first/);
  });

  step2('promotes two keys, marks the tenant key as partition key, edits num_partitions and plans a cutover alias', async () => {
    // Applications read `tenants_live`, today an alias of the collection the first job made.
    const alias = await h.milvus.createAlias({ collection_name: 'docs_v1', alias: 'tenants_live' });
    assert.equal(alias.error_code, 'Success', alias.reason);
    await page.getByLabel('Cutover: switch an existing alias').fill('tenants_live');
    await button('Switch at the end').click();
    await page.getByLabel('Promote tenant to field').check();
    await page.getByLabel('Promote count to field').check();
    await page.getByLabel('Field name for count').fill('item_count');
    await page.getByLabel('Values of count that do not fit').selectOption('null');
    // Live once the server planned tenant as a VarChar field.
    const pk = page.getByLabel('Partition key: tenant');
    await page.waitForFunction(() => !(document.querySelector('[aria-label="Partition key: tenant"]') as HTMLInputElement | null)?.disabled);
    await pk.check();
    await page.getByLabel('num_partitions').fill('8');
    await page.getByText('The plan is valid.').waitFor();
    assert.match(await keyRow('tenant').innerText(), /VarChar/);
    assert.match(await keyRow('count').innerText(), /Int64/);
    assert.equal(await page.getByLabel('Partition key: count').isDisabled(), false, 'an Int64 field can be the partition key too');
    assert.match(await page.getByRole('group', { name: 'Partition key' }).innerText(), /on[\s\S]*tenant/);
    await shot('11-payload-keys');
    await button('Next').click();
  });

  step2('refuses bulk mode on Milvus Lite with the reason, then migrates with upsert', async () => {
    await page.getByLabel('Bulk import').check();
    await page.getByLabel('Storage endpoint').fill('http://127.0.0.1:9');
    await page.getByLabel('Bucket').fill('a-bucket');
    await page.getByLabel('Access key').fill('minio');
    await page.getByLabel('Secret key').fill(STORAGE_SECRET);
    // The import API chosen here is the one the server probes: REST, which Milvus Lite lacks.
    await page.getByLabel('File format').selectOption('json');
    await page.getByLabel('Import API').selectOption('rest');
    await button('Migrate').click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /BULK_UNSUPPORTED[\s\S]*no REST import API[\s\S]*Fix:/);
    await shot('12-bulk-refused');
    await page.getByLabel('Upsert').check();
    await button('Migrate').click();
    await page.waitForURL(/#\/jobs\/[^/]+$/);
    migration = jobIdFromUrl();
    await page.locator('h1 .chip', { hasText: 'SUCCESSFUL' }).waitFor({ timeout: 90_000 });
    await page.getByText('✓ Verified: every target collection').waitFor();
    assert.match(await page.getByLabel('Alias outcomes').innerText(), /tenants_live moved from docs_v1/);
    // What the user chose is what the job planned and Milvus holds: typed fields, the partition key.
    const job = (await (await fetch(new URL(`/api/jobs/${migration}`, server.url))).json()) as { plan: { collections: Array<{ partitionKey: unknown }> } };
    assert.deepEqual(job.plan.collections[0]!.partitionKey, { field: 'tenant', numPartitions: 8, fromTenantKey: 'tenant' });
    const described = await h.milvus.describeCollection({ collection_name: 'tenants' });
    const fields = new Map(described.schema.fields.map((f) => [f.name, f]));
    assert.deepEqual([fields.get('tenant')?.data_type, fields.get('tenant')?.is_partition_key, fields.get('item_count')?.data_type], ['VarChar', true, 'Int64']);
    // (Milvus Lite 3.2.2 makes 16 partitions whatever num_partitions says, probed: not asserted here.)
    assert.equal(await page.content().then((html) => html.includes(STORAGE_SECRET)), false);
  });

  step2('runs a full verification of the finished job: its own job, one pass, no difference', async () => {
    await button(`Full verify of job ${migration}`).click();
    await page.waitForURL((url) => !url.hash.endsWith(migration));
    await page.getByRole('heading', { name: /Full verification/ }).waitFor();
    await page.locator('h1 .chip', { hasText: 'SUCCESSFUL' }).waitFor({ timeout: 60_000 });
    const pass = page.locator('tr[data-pass="1"]');
    assert.match(await pass.innerText(), /1\s+tenants\s+200[\s\S]*✓ no difference/);
  });

  step2('syncs: the pass changes nothing, and the job and the migration say "in sync at"', async () => {
    await page.getByRole('link', { name: `job ${migration}` }).click();
    await button(`Sync job ${migration}`).click();
    await page.waitForURL((url) => !url.hash.endsWith(migration));
    await page.getByRole('heading', { name: /Sync/ }).waitFor();
    await page.locator('h1 .chip', { hasText: 'SUCCESSFUL' }).waitFor({ timeout: 60_000 });
    await page.getByText(/In sync at \d{4}-\d\d-\d\d/).waitFor();
    assert.match(await page.locator('tr[data-pass="1"]').innerText(), /200\s+0\s+0\s+200[\s\S]*nothing to change/);
    await shot('13-sync-in-sync');
    await page.getByRole('link', { name: `job ${migration}` }).click();
    await page.getByText(/In sync at \d{4}-\d\d-\d\d/).waitFor();
  });
});

describe('console with an access token', () => {
  it('asks for the token once, then works', async () => {
    const guarded = await startServer({ host: '127.0.0.1', port: 0, dataDir: mkdtempSync(join(tmpdir(), 'q2m-e2e-token-')), authToken: 'e2e-access-token-77' });
    const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await tab.goto(guarded.url);
      await tab.getByLabel('Cluster endpoint').fill(h.qdrantUrl);
      await tab.getByLabel('API key').fill(API_KEY);
      await tab.getByRole('button', { name: 'Test connection' }).click();
      await tab.getByLabel('Access token').fill('e2e-access-token-77');
      await tab.getByRole('button', { name: 'Continue' }).click();
      await tab.getByRole('button', { name: 'Test connection' }).click();
      await tab.getByText('Connected.').waitFor();
    } finally {
      await tab.close();
      await guarded.stop();
    }
  });
});
