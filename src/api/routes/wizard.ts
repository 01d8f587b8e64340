/**
 * The wizard's routes: test the source, list its collections with readiness, build the plan
 * (through buildPlan(), the function the CLI uses), and check a target name. None of them keeps
 * anything: each opens the connections the body names and closes them before answering.
 */
import { Hono } from 'hono';
import { buildPlan } from '../../core/planning.ts';
import { splitUserinfo } from '../../core/url-credentials.ts';
import { describeReadiness, MILVUS_DEFAULT_CAPABILITIES } from '../../core/readiness.ts';
import { nameError } from '../../mapping/names.ts';
import { parsePlanFile, type CollectionOverrides } from '../../mapping/overrides.ts';
import type { Problem } from '../../core/types.ts';
import { withBoth, withSource, withTarget, type Connectors } from '../connectors.ts';
import { validationError } from '../http-errors.ts';
import { readBody } from '../request.ts';
import { CheckNameRequest, PlanRequest, SourceCheckRequest, SourceCollectionsRequest, type CollectionEdit } from '../schemas/requests.ts';
import type { CheckNameView, PlanView, SourceCheckView, SourceCollectionsView } from '../schemas/responses.ts';

export function wizardRoutes(connectors: Connectors): Hono {
  const app = new Hono();

  app.post('/source/check', async (c) => {
    const body = await readBody(c, SourceCheckRequest);
    const view = await withSource(connectors, body, async (reader, version): Promise<SourceCheckView> => {
      const names = await reader.listCollections();
      // Never echo `user:password@`: the answer shows the URL without them.
      return { ok: true, url: splitUserinfo(body.url).url, version, collections: names.length };
    });
    return c.json(view);
  });

  app.post('/source/collections', async (c) => {
    const body = await readBody(c, SourceCollectionsRequest);
    const view = await withSource(connectors, body.source, async (reader, version): Promise<SourceCollectionsView> => {
      const caps = body.target ? await withTarget(connectors, body.target, (sink) => sink.capabilities()) : MILVUS_DEFAULT_CAPABILITIES;
      const collections = await describeReadiness(reader, caps, body.collections);
      return { source: { url: splitUserinfo(body.source.url).url, version }, judgedAgainst: caps, collections };
    });
    return c.json(view);
  });

  app.post('/plan', async (c) => {
    const body = await readBody(c, PlanRequest);
    const overrides = editsToOverrides(body.overrides ?? [], 'overrides');
    const view = await withBoth(connectors, body.source, body.target, async (reader, sink): Promise<PlanView> => {
      const { plan, problems, capabilities } = await buildPlan(
        {
          sourceUrl: body.source.url,
          target: { uri: body.target.uri, database: body.target.database ?? 'default' },
          collections: body.collections,
          overrides,
          maxVectorFields: body.maxVectorFields,
          payloadSample: body.payloadSample,
          aliases: body.aliases,
          aliasConflict: body.aliasConflict,
          switchAliases: body.switchAliases,
        },
        reader,
        sink,
      );
      return { plan, problems, capabilities };
    });
    return c.json(view);
  });

  app.post('/target/check-name', async (c) => {
    const body = await readBody(c, CheckNameRequest);
    const invalid = nameError(body.name);
    const exists = invalid ? false : await withTarget(connectors, body.target, async (sink) => (await sink.listCollections()).includes(body.name));
    const view: CheckNameView = {
      name: body.name,
      valid: invalid === null,
      exists,
      available: invalid === null && !exists,
      message: invalid
        ? `"${body.name}" is not a valid Milvus name: ${invalid}.`
        : exists
          ? `A collection named "${body.name}" already exists in database ${body.target.database ?? 'default'}.`
          : `"${body.name}" is available.`,
    };
    return c.json(view);
  });

  return app;
}

/**
 * Plan edits (plan-file entries) → overrides, through parsePlanFile() like an edited plan file.
 * Its problems (a duplicate entry) are about the request, so they are a 400 naming the field.
 */
export function editsToOverrides(edits: CollectionEdit[], field: string): Record<string, CollectionOverrides> {
  const { overrides, problems } = parsePlanFile({ collections: edits });
  if (problems.length > 0) throw validationError(problems.map((p: Problem) => ({ path: `${field}${(p.path ?? '').replace(/^collections/, '')}`, message: p.message })));
  return overrides;
}
