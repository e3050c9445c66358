/**
 * An in-memory stand-in for a Qdrant server, for tests. Every request is checked against Qdrant's
 * OpenAPI 1.19 specification before it is handled and every answer after (problems are collected in
 * `violations`, and a non-conforming request is answered 400 as Qdrant would). It keeps collections,
 * payload indexes and points, and evaluates filters for count, scroll, retrieve, delete and facet.
 * Queries (`query_points`, `query_batch_points`) are answered by exhaustive scoring with Qdrant's
 * documented semantics: cosine over normalised dense vectors, sparse dot products weighted by IDF for
 * `modifier: idf`, prefetches fused by RRF (1 / (k + 0-based position)) or DBSF. Tests may script any
 * operation with `on` / `once` instead.
 *
 * It can stand behind the client's fetch (`installFakeFetch`) or listen on 127.0.0.1 (`serveFake`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { qdrantOpenApi, type QdrantOpenApi } from './qdrant-openapi';

export interface FakeRequest {
  method: string;
  url: URL;
  operationId: string;
  collection?: string;
  body: any;
  headers: Record<string, string>;
}

export type FakeReply = { status: number; result?: unknown; error?: string } | 'hang';
export type FakeHandler = (request: FakeRequest, fake: FakeQdrant) => FakeReply | Promise<FakeReply>;

export interface FakePoint {
  id: string | number;
  vector: Record<string, any>;
  payload: Record<string, any>;
}

export interface FakeCollection {
  config: any;
  indexes: Map<string, any>;
  points: Map<string, FakePoint>;
}

const ok = (result: unknown): FakeReply => ({ status: 200, result });
const updated = (): FakeReply => ok({ operation_id: 1, status: 'completed' });
const notFound = (name: string): FakeReply => ({ status: 404, error: `Not found: Collection \`${name}\` doesn't exist!` });

/** Values at a payload path (`attributes.color`, `attributes."a.b"`), flattened over arrays. */
export function valuesAt(payload: Record<string, any>, key: string): unknown[] {
  const parts = key.match(/"[^"]*"|[^.]+/g) ?? [];
  let current: unknown[] = [payload];
  for (const raw of parts) {
    const part = raw.startsWith('"') ? raw.slice(1, -1) : raw;
    current = current.flatMap((node) => (node && typeof node === 'object' && !Array.isArray(node) ? [(node as any)[part]] : []));
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
}

function asList<T>(value: T | T[] | null | undefined): T[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Qdrant's filter semantics for the conditions this project uses. */
export function matches(filter: any, point: FakePoint): boolean {
  if (!filter) return true;
  const must = asList(filter.must);
  const should = asList(filter.should);
  const mustNot = asList(filter.must_not);
  return (
    must.every((c) => condition(c, point)) &&
    (should.length === 0 || should.some((c) => condition(c, point))) &&
    !mustNot.some((c) => condition(c, point))
  );
}

function condition(c: any, point: FakePoint): boolean {
  if ('has_id' in c) return c.has_id.includes(point.id);
  if (!('key' in c)) return matches(c, point);
  const values = valuesAt(point.payload, c.key);
  if (c.match) {
    if ('value' in c.match) return values.includes(c.match.value);
    if ('any' in c.match) return values.some((v) => c.match.any.includes(v));
    if ('except' in c.match) return values.length > 0 && values.some((v) => !c.match.except.includes(v));
    throw new Error(`fake Qdrant: unsupported match ${JSON.stringify(c.match)}`);
  }
  if (c.range) {
    return values.some(
      (v) =>
        typeof v === 'number' &&
        (c.range.gt == null || v > c.range.gt) &&
        (c.range.gte == null || v >= c.range.gte) &&
        (c.range.lt == null || v < c.range.lt) &&
        (c.range.lte == null || v <= c.range.lte),
    );
  }
  throw new Error(`fake Qdrant: unsupported condition ${JSON.stringify(c)}`);
}

function selectPayload(point: FakePoint, withPayload: any): Record<string, any> | undefined {
  if (withPayload === false || withPayload === undefined || withPayload === null) return undefined;
  if (withPayload === true) return point.payload;
  if (Array.isArray(withPayload)) return Object.fromEntries(withPayload.filter((k) => k in point.payload).map((k) => [k, point.payload[k]]));
  throw new Error('fake Qdrant: unsupported payload selector');
}

function selectVector(point: FakePoint, withVector: any): Record<string, any> | undefined {
  if (!withVector) return undefined;
  if (withVector === true) return point.vector;
  return Object.fromEntries(withVector.filter((k: string) => k in point.vector).map((k: string) => [k, point.vector[k]]));
}

function record(point: FakePoint, withPayload: any, withVector: any): Record<string, unknown> {
  const out: Record<string, unknown> = { id: point.id };
  const payload = selectPayload(point, withPayload);
  if (payload) out.payload = payload;
  const vector = selectVector(point, withVector);
  if (vector) out.vector = vector;
  return out;
}

function pointKey(id: string | number): string {
  return String(id);
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalised(v: number[]): number[] {
  const n = Math.sqrt(dot(v, v));
  return n === 0 ? v : v.map((x) => x / n);
}

interface Scored {
  point: FakePoint;
  score: number;
}

function andFilter(a: any, b: any): any {
  if (!a) return b;
  if (!b) return a;
  return { must: [a, b] };
}

/** Qdrant's DBSF: scores mapped to [0, 1] with mean -/+ 3 standard deviations as the limits. */
function dbsfNormalise(list: Scored[]): Scored[] {
  if (list.length === 0) return list;
  const mean = list.reduce((s, x) => s + x.score, 0) / list.length;
  const std = Math.sqrt(list.reduce((s, x) => s + (x.score - mean) ** 2, 0) / list.length);
  if (std === 0) return list.map((x) => ({ ...x, score: 0.5 }));
  const lo = mean - 3 * std;
  return list.map((x) => ({ ...x, score: Math.min(1, Math.max(0, (x.score - lo) / (6 * std))) }));
}

function sortScored(list: Scored[]): Scored[] {
  return list.sort((a, b) => b.score - a.score || (pointKey(a.point.id) < pointKey(b.point.id) ? -1 : 1));
}

/** Scores a query (with its prefetches) over a collection; returns the best `limit`. */
export function runQuery(c: FakeCollection, request: any, outerFilter?: any): Scored[] {
  const filter = andFilter(outerFilter, request.filter);
  const limit = request.limit ?? 10;
  const points = [...c.points.values()].filter((p) => matches(filter, p));
  const prefetches = asList(request.prefetch);
  if (prefetches.length > 0) {
    const lists = prefetches.map((p: any) => runQuery(c, p, filter));
    const query = request.query;
    const fused = new Map<string, Scored>();
    const add = (x: Scored, score: number) => {
      const key = pointKey(x.point.id);
      const entry = fused.get(key) ?? { point: x.point, score: 0 };
      entry.score += score;
      fused.set(key, entry);
    };
    if (query && 'rrf' in query) {
      const k = query.rrf.k ?? 2;
      for (const list of lists) list.forEach((x: Scored, position: number) => add(x, 1 / (position + k)));
    } else if (query && query.fusion === 'rrf') {
      for (const list of lists) list.forEach((x: Scored, position: number) => add(x, 1 / (position + 2)));
    } else if (query && query.fusion === 'dbsf') {
      for (const list of lists) for (const x of dbsfNormalise(list)) add(x, x.score);
    } else {
      throw new Error(`fake Qdrant: unsupported query over prefetches ${JSON.stringify(query)}`);
    }
    return sortScored([...fused.values()]).slice(0, limit);
  }
  const query = request.query && 'nearest' in request.query ? request.query.nearest : request.query;
  const using = request.using;
  const dense = c.config.vectors?.[using];
  const sparse = c.config.sparse_vectors?.[using];
  let scored: Scored[];
  if (dense && Array.isArray(query)) {
    const q = normalised(query);
    scored = points.filter((p) => Array.isArray(p.vector[using])).map((point) => ({ point, score: dot(q, point.vector[using]) }));
  } else if (sparse && query && Array.isArray(query.indices)) {
    const withVector = [...c.points.values()].filter((p) => p.vector[using]);
    const df = new Map<number, number>();
    for (const p of withVector) for (const i of p.vector[using].indices) df.set(i, (df.get(i) ?? 0) + 1);
    const idf = (i: number) => {
      const n = df.get(i) ?? 0;
      return Math.log(1 + (withVector.length - n + 0.5) / (n + 0.5));
    };
    scored = [];
    for (const point of points) {
      const doc = point.vector[using];
      if (!doc) continue;
      let score = 0;
      let overlap = false;
      query.indices.forEach((index: number, qi: number) => {
        const at = doc.indices.indexOf(index);
        if (at < 0) return;
        overlap = true;
        score += query.values[qi] * doc.values[at] * (sparse.modifier === 'idf' ? idf(index) : 1);
      });
      if (overlap) scored.push({ point, score });
    }
  } else {
    throw new Error(`fake Qdrant: unsupported query on ${JSON.stringify(using)}`);
  }
  return sortScored(scored).slice(0, limit);
}

function scoredPoints(c: FakeCollection, request: any): { points: Record<string, unknown>[] } {
  return {
    points: runQuery(c, request).map(({ point, score }) => ({
      ...record(point, request.with_payload ?? false, request.with_vector),
      version: 0,
      score,
    })),
  };
}

export class FakeQdrant {
  readonly collections = new Map<string, FakeCollection>();
  /** Collection aliases: alias name -> collection name. Collection operations accept either. */
  readonly aliases = new Map<string, string>();
  readonly requests: FakeRequest[] = [];
  readonly violations: string[] = [];
  private readonly scripted = new Map<string, FakeHandler[]>();
  private readonly overrides = new Map<string, FakeHandler>();

  constructor(readonly api: QdrantOpenApi = qdrantOpenApi()) {}

  /** Answers the next request to `operationId` with `handler` (queued; one use each). */
  once(operationId: string, handler: FakeHandler): this {
    const queue = this.scripted.get(operationId) ?? [];
    queue.push(handler);
    this.scripted.set(operationId, queue);
    return this;
  }

  /** Answers every request to `operationId` with `handler`. */
  on(operationId: string, handler: FakeHandler): this {
    this.overrides.set(operationId, handler);
    return this;
  }

  bodies(operationId: string): any[] {
    return this.requests.filter((r) => r.operationId === operationId).map((r) => r.body);
  }

  async handle(method: string, url: URL, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown } | 'hang'> {
    const { operation, problems } = this.api.checkRequest(method, url, body);
    if (!operation) {
      this.violations.push(...problems);
      return { status: 404, body: { status: { error: problems.join('; ') }, time: 0 } };
    }
    const collection = url.pathname.match(/^\/collections\/([^/]+)/)?.[1];
    const request: FakeRequest = { method, url, operationId: operation.operationId, collection: collection && decodeURIComponent(collection), body, headers };
    this.requests.push(request);
    if (problems.length > 0) {
      this.violations.push(...problems);
      return { status: 400, body: { status: { error: `Format error in JSON body: ${problems.join('; ')}` }, time: 0 } };
    }
    const handler = this.scripted.get(operation.operationId)?.shift() ?? this.overrides.get(operation.operationId) ?? this.standard(operation.operationId);
    let reply: FakeReply;
    try {
      reply = await handler(request, this);
    } catch (error) {
      reply = { status: 500, error: `Service internal error: ${(error as Error).message}` };
    }
    if (reply === 'hang') return reply;
    if (reply.status === 200) {
      const envelope = { result: reply.result, status: 'ok', time: 0.0001 };
      this.violations.push(...this.api.checkResponse(operation, envelope));
      return { status: 200, body: envelope };
    }
    const envelope = { status: { error: reply.error ?? 'error' }, time: 0.0001 };
    this.violations.push(...this.api.checkSchema('ErrorResponse', envelope));
    return { status: reply.status, body: envelope };
  }

  collection(name: string): FakeCollection | undefined {
    return this.resolve(name);
  }

  /** A collection by its name or by an alias of it. */
  private resolve(name: string): FakeCollection | undefined {
    return this.collections.get(name) ?? this.collections.get(this.aliases.get(name) ?? '');
  }

  /** The built-in in-memory behaviour of an operation (what answers when nothing is scripted). */
  standard(operationId: string): FakeHandler {
    const withCollection =
      (fn: (c: FakeCollection, r: FakeRequest) => FakeReply): FakeHandler =>
      (r) => {
        const c = this.resolve(r.collection ?? '');
        return c ? fn(c, r) : notFound(r.collection ?? '');
      };
    switch (operationId) {
      case 'collection_exists':
        return (r) => ok({ exists: this.resolve(r.collection ?? '') !== undefined });
      case 'create_collection':
        return (r) => {
          const name = r.collection ?? '';
          if (this.collections.has(name) || this.aliases.has(name)) return { status: 409, error: `Wrong input: Collection \`${name}\` already exists!` };
          this.collections.set(name, { config: r.body, indexes: new Map(), points: new Map() });
          return ok(true);
        };
      case 'delete_collection':
        return (r) => {
          const name = r.collection ?? '';
          for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
          return ok(this.collections.delete(name));
        };
      case 'update_collection':
        return withCollection((c, r) => {
          if (r.body?.metadata !== undefined) c.config.metadata = { ...(c.config.metadata ?? {}), ...r.body.metadata };
          return ok(true);
        });
      case 'get_collections_aliases':
        return () => ok({ aliases: [...this.aliases].map(([alias_name, collection_name]) => ({ alias_name, collection_name })) });
      case 'update_aliases':
        return (r) => {
          // Atomic: every action is checked before any applies.
          const next = new Map(this.aliases);
          for (const action of r.body.actions as Record<string, any>[]) {
            if (action.delete_alias) {
              if (!next.delete(action.delete_alias.alias_name)) return { status: 404, error: `Not found: Alias ${action.delete_alias.alias_name} does not exists!` };
            } else if (action.create_alias) {
              const { alias_name, collection_name } = action.create_alias;
              if (!this.collections.has(collection_name)) return notFound(collection_name);
              if (next.has(alias_name) || this.collections.has(alias_name)) return { status: 409, error: `Wrong input: Alias ${alias_name} already exists!` };
              next.set(alias_name, collection_name);
            } else {
              return { status: 501, error: 'fake Qdrant: only create_alias and delete_alias are supported' };
            }
          }
          this.aliases.clear();
          for (const [a, c] of next) this.aliases.set(a, c);
          return ok(true);
        };
      case 'get_collection':
        return withCollection((c) => ok(this.collectionInfo(c)));
      case 'create_field_index':
        return withCollection((c, r) => {
          c.indexes.set(r.body.field_name, r.body.field_schema);
          return updated();
        });
      case 'upsert_points':
        return withCollection((c, r) => {
          // update_mode: insert_only leaves existing points as they are, update_only
          // inserts nothing; update_filter: existing points that do not match it are left as they are.
          const mode = r.body.update_mode ?? 'upsert';
          for (const point of r.body.points as FakePoint[]) {
            if (Array.isArray(point.vector)) {
              // An array addresses the unnamed default vector; a collection of named vectors (or none, `vectors: {}`) has none.
              const single = c.config.vectors && typeof c.config.vectors.size === 'number' ? c.config.vectors : undefined;
              if (!single) return { status: 400, error: 'Wrong input: Not existing vector name error: ' };
              return { status: 501, error: 'fake Qdrant: points with an unnamed vector are not supported' };
            }
            for (const name of Object.keys(point.vector)) {
              const dense = c.config.vectors?.[name];
              const sparse = c.config.sparse_vectors?.[name];
              if (!dense && !sparse) return { status: 400, error: `Wrong input: Not existing vector name error: ${name}` };
              if (dense && point.vector[name].length !== dense.size) {
                return { status: 400, error: `Wrong input: Vector dimension error: expected dim: ${dense.size}, got ${point.vector[name].length}` };
              }
            }
            // Qdrant normalises vectors of cosine spaces when they are stored.
            const vector = Object.fromEntries(
              Object.entries(point.vector).map(([name, v]) => [name, c.config.vectors?.[name]?.distance === 'Cosine' ? normalised(v as number[]) : v]),
            );
            const existing = c.points.get(pointKey(point.id));
            if (existing && (mode === 'insert_only' || (r.body.update_filter && !matches(r.body.update_filter, existing)))) continue;
            if (!existing && mode === 'update_only') continue;
            c.points.set(pointKey(point.id), { id: point.id, vector, payload: point.payload ?? {} });
          }
          return updated();
        });
      case 'get_points':
        return withCollection((c, r) =>
          ok(
            (r.body.ids as (string | number)[])
              .map((id) => c.points.get(pointKey(id)))
              .filter((p): p is FakePoint => !!p)
              .map((p) => record(p, r.body.with_payload ?? true, r.body.with_vector)),
          ),
        );
      case 'delete_points':
        return withCollection((c, r) => {
          if (r.body.filter) {
            for (const [key, point] of c.points) if (matches(r.body.filter, point)) c.points.delete(key);
          } else {
            for (const id of r.body.points) c.points.delete(pointKey(id));
          }
          return updated();
        });
      case 'count_points':
        return withCollection((c, r) => ok({ count: [...c.points.values()].filter((p) => matches(r.body?.filter, p)).length }));
      case 'scroll_points':
        return withCollection((c, r) => {
          const limit = r.body.limit ?? 10;
          const sorted = [...c.points.values()]
            .filter((p) => matches(r.body.filter, p))
            .sort((a, b) => (pointKey(a.id) < pointKey(b.id) ? -1 : 1));
          const start = r.body.offset == null ? 0 : sorted.findIndex((p) => pointKey(p.id) >= pointKey(r.body.offset));
          const page = start < 0 ? [] : sorted.slice(start, start + limit);
          const next = start >= 0 && sorted.length > start + limit ? sorted[start + limit].id : null;
          return ok({ points: page.map((p) => record(p, r.body.with_payload ?? true, r.body.with_vector)), next_page_offset: next });
        });
      case 'facet':
        return withCollection((c, r) => {
          if (!c.indexes.has(r.body.key)) return { status: 400, error: `Bad request: Index required but not found for "${r.body.key}"` };
          const counts = new Map<string | number | boolean, number>();
          for (const point of c.points.values()) {
            if (!matches(r.body.filter, point)) continue;
            for (const value of new Set(valuesAt(point.payload, r.body.key))) {
              counts.set(value as string, (counts.get(value as string) ?? 0) + 1);
            }
          }
          const hits = [...counts.entries()]
            .map(([value, count]) => ({ value, count }))
            .sort((a, b) => b.count - a.count)
            .slice(0, r.body.limit ?? 10);
          return ok({ hits });
        });
      case 'query_points':
        return withCollection((c, r) => ok(scoredPoints(c, r.body)));
      case 'query_batch_points':
        return withCollection((c, r) => ok(r.body.searches.map((search: unknown) => scoredPoints(c, search))));
      default:
        return (r) => ({ status: 501, error: `fake Qdrant: no handler for ${r.operationId}; script one with on()` });
    }
  }

  private collectionInfo(c: FakeCollection): Record<string, unknown> {
    const params: Record<string, unknown> = {
      vectors: c.config.vectors,
      shard_number: c.config.shard_number ?? 1,
      replication_factor: c.config.replication_factor ?? 1,
      write_consistency_factor: c.config.write_consistency_factor ?? 1,
      on_disk_payload: true,
    };
    if (c.config.sparse_vectors) params.sparse_vectors = c.config.sparse_vectors;
    const payloadSchema: Record<string, unknown> = {};
    for (const [field, schema] of c.indexes) {
      const dataType = typeof schema === 'string' ? schema : schema.type;
      payloadSchema[field] = { data_type: dataType, points: [...c.points.values()].filter((p) => valuesAt(p.payload, field).length > 0).length };
    }
    return {
      status: 'green',
      optimizer_status: 'ok',
      segments_count: 1,
      points_count: c.points.size,
      indexed_vectors_count: 0,
      config: {
        params,
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0 },
        optimizer_config: { default_segment_number: 0, flush_interval_sec: 5, deleted_threshold: 0.2, vacuum_min_vector_number: 1000 },
        ...(c.config.quantization_config ? { quantization_config: c.config.quantization_config } : {}),
        ...(c.config.metadata ? { metadata: c.config.metadata } : {}),
      },
      payload_schema: payloadSchema,
    };
  }
}

/** Replaces globalThis.fetch with one answered by `fake`; returns the function that restores it. */
export function installFakeFetch(fake: FakeQdrant): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = typeof init?.body === 'string' && init.body.length > 0 ? JSON.parse(init.body) : undefined;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const reply = await fake.handle(method, url, body, headers);
    if (reply === 'hang') {
      return new Promise<Response>((_, reject) => {
        const signal = init?.signal;
        const abort = () => reject(new DOMException('This operation was aborted', 'AbortError'));
        if (signal?.aborted) abort();
        else signal?.addEventListener('abort', abort, { once: true });
      });
    }
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return () => {
    globalThis.fetch = original;
  };
}

/** Serves `fake` over HTTP on 127.0.0.1 (ephemeral port). */
export async function serveFake(fake: FakeQdrant): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        let reply: Awaited<ReturnType<FakeQdrant['handle']>>;
        try {
          const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
          reply = await fake.handle(req.method ?? 'GET', url, text.length > 0 ? JSON.parse(text) : undefined, headers);
        } catch (error) {
          reply = { status: 400, body: { status: { error: `Format error: ${(error as Error).message}` }, time: 0 } };
        }
        if (reply === 'hang') {
          req.socket.destroy();
          return;
        }
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
