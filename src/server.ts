/**
 * One HTTP server: /graphql (Apollo Server 5 through Express 5, and graphql-ws on the same
 * path for subscriptions, with the same schema object) and /health.
 */
import http from 'node:http';
import crypto from 'node:crypto';
import express from 'express';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  GraphQLError, Kind, NoSchemaIntrospectionCustomRule, getOperationAST, parse, specifiedRules, validate,
  type DocumentNode, type FieldNode, type GraphQLFormattedError, type SelectionSetNode, type FragmentDefinitionNode, type GraphQLSchema,
} from 'graphql';
import type { Config } from './config';
import { isDatabaseUnavailable, type Database } from './db/database';
import type { TokenVerifier } from './auth/tokens';
import type { Services } from './services';
import { createContext, type Context } from './context';
import { unauthenticated } from './common/errors';
import type { Logger } from './log';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { CloseCode } from 'graphql-ws';
import type { EventHub } from './events/hub';
import type { Principal } from './auth/principal';
import { contextFor } from './context';
import { isAsyncIterable, mapStream, sharedExecution } from './events/shared-execution';
import { OPERATION_LIMITS, checkVariables, inputTextError, operationLimits } from './limits';
import { readiness } from './health';
import { metrics, registry, since } from './metrics';
import { RateLimiter } from './rate-limit';
import { loadConsole, serveConsole } from './console';
import { compiledExecution, type CompiledExecution } from './execution';

export interface AppDeps {
  /** Without mutationRateLimits, mutations are not rate limited. */
  config: Pick<Config, 'nodeEnv' | 'routerSecrets'> & Partial<Pick<Config, 'mutationRateLimits' | 'compiledExecution' | 'console'>>;
  schema: GraphQLSchema;
  db: Database;
  /** The pool subscriptions read through (default: `db`); see Config.subscriptionPoolSize. */
  streamDb?: Database;
  services: Services;
  verifier: TokenVerifier;
  log: Logger;
  /** The outbox listener; without it no WebSocket endpoint is served. */
  hub?: EventHub | null;
  /** The execution of a document on which it is compiled (execution.ts; default 2). */
  compileOnRun?: number;
}

export interface App {
  httpServer: http.Server;
  apollo: ApolloServer<Context>;
  /** Null when every operation runs on graphql-js (GRAPHQL_EXECUTION=interpreted). */
  compiled: CompiledExecution | null;
  listen(port: number, host: string): Promise<string>;
  stop(): Promise<void>;
}

/** Root fields anyone may query without a token. */
const PUBLIC_ROOT_FIELDS = new Set(['__typename', '_service']);

/** The root field selections of an operation, aliases each counted (fragments followed once each). */
function rootFieldNodes(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, out: FieldNode[] = [], seen = new Set<string>()): FieldNode[] {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) out.push(sel);
    else if (sel.kind === Kind.INLINE_FRAGMENT) rootFieldNodes(sel.selectionSet, fragments, out, seen);
    else if (!seen.has(sel.name.value) && fragments[sel.name.value]) {
      seen.add(sel.name.value);
      rootFieldNodes(fragments[sel.name.value].selectionSet, fragments, out, seen);
    }
  }
  return out;
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return fragments;
}

/** No string of the variables or literals may carry U+0000, nor variables nest too deep (limits.ts). */
const inputTextPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, request, source }) {
        const refusal = inputTextError(document, source, request.variables);
        if (refusal) throw refusal;
      },
    };
  },
};

/** Every operation needs a token, except `{ __typename }` and the router's `_service`. */
const requireTokenPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, operation, document }) {
        if (contextValue.principal || !operation) return;
        const fragments = fragmentsOf(document);
        for (const f of new Set(rootFieldNodes(operation.selectionSet, fragments).map((field) => field.name.value))) {
          if (!PUBLIC_ROOT_FIELDS.has(f)) throw unauthenticated();
        }
      },
    };
  },
};

/** Mutations take tokens from their principal's bucket (rate-limit.ts); refused whole with 429 when short. */
function rateLimitPlugin(limiter: RateLimiter): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document }) {
          const principal = contextValue.principal;
          if (!principal || operation?.operation !== 'mutation') return;
          const n = rootFieldNodes(operation.selectionSet, fragmentsOf(document)).filter((f) => f.name.value !== '__typename').length;
          const taken = limiter.take(principal.role, principal.sub, n);
          if (taken.ok) return;
          metrics.rateLimited.inc({ role: principal.role });
          const { perSecond, burst } = taken.limit;
          const never = !Number.isFinite(taken.retryAfterMs);
          const retryAfterSeconds = never ? undefined : Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
          throw new GraphQLError(
            never
              ? `This operation holds ${n} mutations; a ${principal.role} may send at most ${burst} at once. Split it.`
              : `Too many mutations: a ${principal.role} may send ${perSecond} a second (bursts of ${burst}). Retry in ${retryAfterSeconds} s.`,
            {
              extensions: {
                code: 'RATE_LIMITED',
                ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
                http: { status: 429, headers: new Map(retryAfterSeconds ? [['retry-after', String(retryAfterSeconds)]] : []) },
              },
            },
          );
        },
      };
    },
  };
}

const KNOWN_CODES = new Set([
  'UNAUTHENTICATED', 'RATE_LIMITED', 'FORBIDDEN', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST',
]);

/**
 * Expected errors pass with their code; anything else is logged and, outside development,
 * masked as INTERNAL_SERVER_ERROR with no message, stack or SQL. Production also drops
 * field suggestions ("Did you mean ...").
 */
export function makeFormatError(nodeEnv: Config['nodeEnv'], log: Logger | null) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code as string | undefined;
    if (code && KNOWN_CODES.has(code)) {
      const message = nodeEnv === 'production' ? formatted.message.replace(/ Did you mean .*$/, '') : formatted.message;
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, message, extensions };
    }
    const original = (error as { originalError?: unknown })?.originalError ?? error;
    if (isDatabaseUnavailable(original)) {
      return { message: 'The database is unavailable; retry shortly', path: formatted.path, locations: formatted.locations, extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    log?.error('unexpected error', { error: original instanceof Error ? original.message : String(original), path: formatted.path });
    if (nodeEnv === 'development') return formatted;
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** The status for an error raised before GraphQL (body-parser's carry one); others are 500 and logged. */
function httpError(err: unknown, log: Logger): number {
  const e = err as { status?: unknown; statusCode?: unknown };
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 500 || status < 400) {
    log.error('unexpected error before GraphQL', { error: err instanceof Error ? err.message : String(err) });
    return 500;
  }
  return status;
}

/** Body-parser's refusals in words that echo nothing from the request. */
function httpErrorBody(err: unknown): { message: string; extensions: { code: string } } {
  switch ((err as { type?: unknown })?.type) {
    case 'entity.parse.failed':
      return { message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } };
    case 'entity.too.large':
      return { message: 'The request body is over 1 MB', extensions: { code: 'PAYLOAD_TOO_LARGE' } };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { message: 'The request body must be UTF-8', extensions: { code: 'BAD_REQUEST' } };
    case 'request.aborted':
    case 'request.size.invalid':
      return { message: 'The request body was incomplete', extensions: { code: 'BAD_REQUEST' } };
    default: {
      const status = (err as { status?: unknown })?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) return { message: 'Bad request', extensions: { code: 'BAD_REQUEST' } };
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  }
}

/** Request bodies over 1 MB are refused with 413. */
const BODY_LIMIT = 1024 * 1024;

const headerOf = (req: http.IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/** `/graphql`, with or without a query string or a trailing slash, as Express mounts it. */
function isGraphQLPath(url: string | undefined): boolean {
  if (!url?.startsWith('/graphql')) return false;
  const next = url.charCodeAt(8);
  return Number.isNaN(next) || next === 63 /* ? */ || (next === 47 /* / */ && (url.length === 9 || url.charCodeAt(9) === 63));
}

/**
 * Whether a request's body can be read directly: JSON in UTF-8 (no charset, or utf-8), not
 * compressed, with a Content-Length within the limit. Otherwise Express's body parser reads
 * it, and refuses it if it must.
 */
function readsDirectly(req: http.IncomingMessage): boolean {
  const declared = req.headers['content-length'];
  if (declared === undefined || req.headers['transfer-encoding'] !== undefined) return false;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = req.headers['content-type'];
  if (type === undefined) return false;
  const [essence, ...params] = type.split(';');
  if (essence.trim().toLowerCase() !== 'application/json') return false;
  for (const p of params) {
    const [k, v = ''] = p.split('=');
    if (k.trim().toLowerCase() !== 'charset' || v.trim().replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') return false;
  }
  const length = Number(declared);
  return Number.isInteger(length) && length >= 0 && length <= BODY_LIMIT;
}

/**
 * A JSON body as Express's parser reads it: empty is `{}`, a byte-order mark is skipped, and
 * only an object or an array is accepted; anything else throws its `entity.parse.failed`.
 */
function parseJsonBody(buf: Buffer): unknown {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  // the first character past JSON's whitespace (RFC 8259: space, tab, line feed, return)
  let i = 0;
  for (let c = text.charCodeAt(0); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++i));
  const refuse = () => Object.assign(new SyntaxError('The request body is not valid JSON'), { status: 400, type: 'entity.parse.failed' });
  if (text[i] !== '{' && text[i] !== '[') throw refuse();
  try {
    return JSON.parse(text);
  } catch {
    throw refuse();
  }
}

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s, 'latin1').digest();

export async function createApp(deps: AppDeps): Promise<App> {
  const app = express();
  app.disable('x-powered-by');
  // no ETag: a SHA-1 of every response body, for POSTs no cache revalidates
  app.set('etag', false);
  // POST /graphql with a JSON body of a declared length goes straight to Apollo (`direct`
  // below); everything else, /graphql's other requests included, through Express
  let direct: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | null = null;
  const httpServer = http.createServer((req, res) => {
    if (!direct?.(req, res)) app(req, res);
  });
  const production = deps.config.nodeEnv === 'production';

  const routerSecrets = deps.config.routerSecrets;
  // Compare fixed-length digests: constant time whatever the header holds.
  const fromRouter = (given: string | undefined) =>
    routerSecrets.length === 0 || routerSecrets.some((s) => crypto.timingSafeEqual(digest(s), digest(given ?? '')));
  const wsCleanup = deps.hub ? serveWebSockets(httpServer, deps, fromRouter) : null;

  const limits = operationLimits();
  // compiled unless the config says otherwise (execution.ts); the same schema either way
  const compiled = deps.config.compiledExecution === false ? null : compiledExecution(deps.schema, deps.compileOnRun);
  const apollo = new ApolloServer<Context>({
    ...(compiled ? { gateway: compiled.gateway } : { schema: deps.schema }),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    logger: {
      debug: (m) => deps.log.debug(String(m)),
      info: (m) => deps.log.info(String(m)),
      warn: (m) => deps.log.warn(String(m)),
      error: (m) => deps.log.error(String(m)),
    },
    // The process owns SIGINT/SIGTERM (main.ts) and stops Apollo in order with the rest.
    stopOnTerminationSignals: false,
    introspection: !production,
    includeStacktraceInErrorResponses: deps.config.nodeEnv === 'development',
    // unexpected errors are logged with their request id by requestObserverPlugin
    formatError: makeFormatError(deps.config.nodeEnv, null),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Stopping closes every WebSocket (1001, going away) after HTTP has drained.
      { async serverWillStart() { return { async drainServer() { await wsCleanup?.dispose(); } }; } },
      inputTextPlugin,
      requireTokenPlugin,
      ...(deps.config.mutationRateLimits ? [rateLimitPlugin(new RateLimiter(deps.config.mutationRateLimits))] : []),
      requestObserverPlugin(deps.log),
      ...limits.plugins,
      ...(production ? [ApolloServerPluginLandingPageDisabled()] : []),
      // No type or field here declares a cache hint, and the default cache-control plugin
      // wraps every field's resolver to look for one (a tenth of a deep read's CPU).
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  // Prometheus text format; expose it to the monitoring network only
  // the console's static files (console.ts), unless CONSOLE=off; loaded once
  if (deps.config.console !== false) {
    const assets = loadConsole();
    app.get(['/console', '/console/', '/console/:file'], (req, res) => serveConsole(assets, req, res));
  }

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType);
    res.end(await registry.metrics());
  });
  // for orchestrators: live (the process serves), ready (database, migrations, listener)
  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_req, res) => {
    const r = await readiness(deps.db, deps.hub);
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'unavailable', checks: r.checks });
  });
  app.get('/health', async (_req, res) => {
    try {
      await deps.db.query('SELECT 1');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });

  /** The router's secret, checked first: refused with 401 before anything is read. */
  const refuseUnlessFromRouter = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (fromRouter(headerOf(req, 'x-router-secret'))) return false;
    sendJson(res, 401, { errors: [{ message: 'Requests must come through the router', extensions: { code: 'UNAUTHENTICATED' } }] });
    return true;
  };
  /** The caller's X-Request-Id when it is a sane token, else a new one; echoed back. */
  const requestIdOf = (req: http.IncomingMessage, res: http.ServerResponse): string => {
    const given = headerOf(req, 'x-request-id');
    const requestId = given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    res.setHeader('x-request-id', requestId);
    return requestId;
  };
  /** One GraphQL request, its body parsed (undefined for a GET, or a body Express did not parse). */
  const serveGraphQL = async (req: http.IncomingMessage, res: http.ServerResponse, requestId: string, body: unknown): Promise<void> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: q < 0 ? '' : url.slice(q), body },
      context: async () => {
        try {
          return await createContext(deps, headerOf(req, 'authorization'), requestId);
        } catch (err) {
          deps.log.info('graphql request', { requestId, status: 401, errorCodes: ['UNAUTHENTICATED'] });
          throw err;
        }
      },
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.setHeader('content-length', Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
  /** An error out of serveGraphQL (Apollo answers its own): answered as Express's error handler does. */
  const failed = (res: http.ServerResponse, err: unknown) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, httpError(err, deps.log), { errors: [httpErrorBody(err)] });
  };

  // The common request, a POST of JSON with its length declared (routers and clients send
  // one), is read here without Express: its router, body parser and response helpers were 8
  // to 10 % of a read's CPU in a profile. Any other request to /graphql (GET, a chunked or compressed
  // body, another content type or charset, a body over the limit) goes through Express below,
  // whose body parser answers each of those as it always has.
  direct = (req, res) => {
    if (req.method !== 'POST' || !isGraphQLPath(req.url)) return false;
    if (!readsDirectly(req)) return false;
    if (refuseUnlessFromRouter(req, res)) return true;
    const requestId = requestIdOf(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      let body: unknown;
      try {
        body = parseJsonBody(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      } catch (err) {
        sendJson(res, 400, { errors: [httpErrorBody(err)] });
        return;
      }
      const answered = compiled ? answerDirectly(compiled, req, res, requestId, body) : null;
      (answered ?? serveGraphQL(req, res, requestId, body)).catch((err) => failed(res, err));
    });
    return true;
  };

  /**
   * A query Apollo has already served whole, sent again as it was (the same text and operation
   * name), answered without Apollo's request pipeline: its parsing, validation with the limits
   * and literal checks gave their answer the first time, and its per-request plugins have
   * nothing to say about a query that succeeds for a signed-in principal. What each request
   * can change is checked here: the token (a principal is needed; none, or a bad one, goes to
   * Apollo), the variables (U+0000, depth, coercion), the media type asked for (none, JSON or
   * anything: JSON, as Apollo picks), a federated trace (Apollo's plugin makes it). Anything
   * else, and any error in the result, is answered by Apollo's pipeline from the start: a
   * query changes nothing, so running it again is safe. Null: not such a request.
   * `GRAPHQL_EXECUTION=interpreted` turns this off with the compiled execution.
   */
  const answerDirectly = (c: CompiledExecution, req: http.IncomingMessage, res: http.ServerResponse, requestId: string, body: unknown): Promise<void> | null => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
    const { query, operationName, variables, extensions } = body as Record<string, unknown>;
    if (typeof query !== 'string' || extensions != null || (operationName != null && typeof operationName !== 'string')) return null;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
    const accept = req.headers.accept;
    if (accept !== undefined && accept !== '*/*' && accept !== 'application/json') return null;
    if (req.headers['apollo-federation-include-trace'] !== undefined) return null;
    const direct = c.directQuery(query, (operationName as string | undefined) ?? null);
    if (!direct) return null;
    return (async () => {
      const start = process.hrtime.bigint();
      const vars = (variables ?? undefined) as Record<string, unknown> | undefined;
      let ctx: Context;
      try {
        ctx = await createContext(deps, headerOf(req, 'authorization'), requestId);
      } catch {
        return serveGraphQL(req, res, requestId, body); // Apollo answers the 401
      }
      if (!ctx.principal || checkVariables(vars ?? null) !== null) return serveGraphQL(req, res, requestId, body);
      const result = await direct.run(ctx, vars);
      if (!result || result.errors?.length || result.data == null) return serveGraphQL(req, res, requestId, body);
      // as Apollo writes it: {"data":...} and a newline
      const text = `${JSON.stringify({ data: result.data })}\n`;
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('content-length', Buffer.byteLength(text));
      res.end(text);
      c.counts.direct++;
      observeRequest(deps.log, start, {
        requestId, operation: operationLabel(direct.operationName), type: 'query', role: ctx.principal.role, status: 200, errorCodes: null,
      });
    })();
  };

  app.use(
    '/graphql',
    (req, res, next) => {
      if (!refuseUnlessFromRouter(req, res)) next();
    },
    (req, res, next) => {
      res.locals.requestId = requestIdOf(req, res);
      next();
    },
    express.json({ limit: BODY_LIMIT }),
    (req, res, next) => {
      serveGraphQL(req, res, res.locals.requestId as string, req.body).catch(next);
    },
  );

  // anything else, and every error before Apollo (body parsing, size): JSON, never a stack page
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ errors: [{ message: 'Not found: GraphQL is served at /graphql', extensions: { code: 'NOT_FOUND' } }] });
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    res.status(httpError(err, deps.log)).json({ errors: [httpErrorBody(err)] });
  });

  return {
    httpServer,
    apollo,
    compiled,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const addr = httpServer.address() as { port: number };
          resolve(`http://${host === '127.0.0.1' ? 'localhost' : host}:${addr.port}/graphql`);
        });
      }),
    stop: () => apollo.stop(),
  };
}

/** What a connection keeps from its connect message. */
interface SocketState {
  principal?: Principal;
  expiry?: NodeJS.Timeout;
}

/**
 * graphql-ws on the HTTP server's /graphql. The token comes in connectionParams
 * (`authorization: "Bearer <jwt>"`), or in the upgrade request's Authorization header (a
 * router propagating headers), and is verified once, at connect: none or a bad one
 * closes with 4401, a connection that does not come through the router (ROUTER_SECRET set)
 * with 4403, and the socket closes with 4401 when the token expires. Each subscription gets
 * its own context (and each event fresh loaders, see events/order-updates.ts).
 */
function serveWebSockets(httpServer: http.Server, deps: AppDeps, fromRouter: (given: string | undefined) => boolean) {
  // messages over 1 MB are refused, as HTTP bodies are
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1024 * 1024 });
  const formatError = makeFormatError(deps.config.nodeEnv, deps.log);
  const production = deps.config.nodeEnv === 'production';
  const states = new WeakMap<object, SocketState>();
  // the same limits as over HTTP
  const rules = [...specifiedRules, ...operationLimits().validationRules, ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  // each event executed once per document, variables and principal (shared-execution.ts)
  const execution = sharedExecution((args) => (args.contextValue as Context).principal, () => deps.hub?.tick ?? 0);
  // a subscription's context reads through the subscription pool
  const streamDeps = { ...deps, db: deps.streamDb ?? deps.db };
  // Documents parsed and validated once per distinct text: thousands of clients send the
  // same few subscriptions (at most 1,000 texts of up to 16 KB kept; emptied when full).
  const checked = new Map<string, { document?: DocumentNode; errors: readonly GraphQLError[] }>();
  const check = (query: string) => {
    let c = checked.get(query);
    if (!c) {
      try {
        const document = parse(query, { maxTokens: OPERATION_LIMITS.tokens });
        const errors = validate(deps.schema, document, rules);
        c = errors.length
          ? { errors: errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) }
          : { document, errors: [] };
      } catch (err) {
        c = { errors: [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
      }
      if (query.length <= 16_384) {
        if (checked.size >= 1000) checked.clear();
        checked.set(query, c);
      }
    }
    return c;
  };
  return useServer<Record<string, unknown> | undefined, { state?: SocketState }>(
    {
      schema: deps.schema,
      // each open subscription counted in orders_active_subscriptions until its stream ends
      subscribe: async (args) => {
        const result = await execution.subscribe(args);
        if (!isAsyncIterable(result)) return result;
        metrics.activeSubscriptions.inc();
        return mapStream(result, (r) => r, () => metrics.activeSubscriptions.dec());
      },
      onConnect: async (ctx) => {
        const state: SocketState = {};
        states.set(ctx.extra.socket, state);
        const header = ctx.extra.request.headers['x-router-secret'];
        if (!fromRouter(Array.isArray(header) ? header[0] : header)) {
          ctx.extra.socket.close(CloseCode.Forbidden, 'Connections must come through the router');
          return false;
        }
        try {
          // connectionParams first; else the upgrade request's header, which is where a router
          // that propagates headers puts the client's token
          const verified = await deps.verifier.inspectHeader(ctx.connectionParams?.authorization ?? ctx.extra.request.headers.authorization);
          if (!verified) {
            ctx.extra.socket.close(4401, 'Unauthorized: connectionParams.authorization must be "Bearer <token>"');
            return false;
          }
          // the socket may have closed while the token was checked: then keep nothing
          if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
          state.principal = verified.principal;
          const ms = verified.expiresAt.getTime() - Date.now();
          state.expiry = setTimeout(() => ctx.extra.socket.close(4401, 'Token expired'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
          state.expiry.unref();
          return true;
        } catch {
          ctx.extra.socket.close(4401, 'Unauthorized: invalid or expired token');
          return false;
        }
      },
      onClose: (ctx) => {
        const state = states.get(ctx.extra.socket);
        if (state?.expiry) clearTimeout(state.expiry);
      },
      // Only subscriptions come over the socket (queries and mutations go over HTTP, through
      // Apollo's plugins); in production no introspection, as over HTTP.
      onSubscribe: (ctx, _id, payload) => {
        const fail = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];
        const { document, errors } = check(payload.query);
        if (!document) return [...errors];
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return fail('No operation to run (give operationName when the document has several)', 'BAD_REQUEST');
        if (operation.operation !== 'subscription') return fail('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', 'BAD_REQUEST');
        const refusal = inputTextError(document, payload.query, payload.variables);
        if (refusal) return [refusal];
        return {
          schema: deps.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: contextFor(streamDeps, states.get(ctx.extra.socket)?.principal ?? null),
        };
      },
      // errors masked as over HTTP: no internals in production
      onNext: (_ctx, _id, _payload, _args, result) =>
        'errors' in result && result.errors?.length ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : result,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)) as never,
    },
    wss,
  );
}

/** A served request's metrics and log line (requestObserverPlugin, and the direct answers of createApp). */
function observeRequest(
  log: Logger,
  start: bigint,
  r: { requestId: string | undefined; operation: string; type: string; role: string | null; status: number; errorCodes: string[] | null },
): void {
  const seconds = since(start);
  metrics.requests.inc({ operation: r.operation, type: r.type, outcome: r.errorCodes ? 'error' : 'ok' });
  metrics.requestSeconds.observe({ operation: r.operation, type: r.type }, seconds);
  log.info('graphql request', {
    requestId: r.requestId,
    operationName: r.operation,
    operationType: r.type,
    role: r.role,
    status: r.status,
    ...(r.errorCodes ? { errorCodes: r.errorCodes } : {}),
    durationMs: Math.round(seconds * 1e4) / 10,
  });
}

/**
 * Operation names become metric labels: only names a schema could declare, and at most 200
 * distinct ones per process (clients choose them); the rest count as "other".
 */
const seenOperations = new Set<string>();
function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (seenOperations.has(name)) return name;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) || seenOperations.size >= 200) return 'other';
  seenOperations.add(name);
  return name;
}

/**
 * Per HTTP request: the metrics (orders_graphql_*: rate, outcome, latency by operation) and
 * one log line with the request id, operation, role, status, error codes and duration; and
 * each unexpected error logged with its request id (the response shows it masked). No
 * variables, tokens or subjects are logged: they may carry personal data.
 */
function requestObserverPlugin(log: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const start = process.hrtime.bigint();
      return {
        async didEncounterErrors(rc) {
          for (const e of rc.errors) {
            const code = e.extensions?.code as string | undefined;
            if (code && KNOWN_CODES.has(code)) continue;
            const original = e.originalError ?? e;
            if (isDatabaseUnavailable(original)) {
              log.warn('database unavailable', { requestId: rc.contextValue.requestId, error: original.message });
              continue;
            }
            log.error('unexpected error', {
              requestId: rc.contextValue.requestId,
              operationName: rc.operationName ?? null,
              error: original instanceof Error ? original.message : String(original),
              path: e.path,
            });
          }
        },
        async willSendResponse(rc) {
          const operation = operationLabel(rc.operationName);
          const type = rc.operation?.operation ?? 'unknown';
          const errors = rc.response.body.kind === 'single' ? rc.response.body.singleResult.errors : undefined;
          // the database is down: 503 with Retry-After, so that clients and routers retry
          if (errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) {
            rc.response.http.status = 503;
            rc.response.http.headers.set('retry-after', '1');
          }
          observeRequest(log, start, {
            requestId: rc.contextValue.requestId,
            operation,
            type,
            role: rc.contextValue.principal?.role ?? null,
            status: rc.response.http.status ?? 200,
            errorCodes: errors?.length ? [...new Set(errors.map((e) => String(e.extensions?.code ?? 'UNKNOWN')))] : null,
          });
        },
      };
    },
  };
}
