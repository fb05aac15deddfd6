/**
 * Compiled execution of queries and mutations over HTTP. graphql-jit compiles an operation
 * into a function of its own (the fields it selects resolved in straight-line code, without
 * graphql-js's per-field argument maps, paths and type checks). On a page of 20 orders with
 * their lines, graphql-js was 23 % of the server's CPU (the largest share after the pg
 * driver); compiled, under 3 % (bench/README.md, session 7).
 *
 * Apollo Server 5 takes an executor of another kind only through its gateway interface, so
 * `compiledExecution` is given to it as a gateway serving this subgraph's own schema:
 * Apollo still parses, validates (with the operation limits), runs every plugin and formats
 * every error; only the execution is replaced.
 *
 * What stays on graphql-js's `execute`, answering as it always has:
 * - a document's first execution: it is compiled on its second, so that a stream of distinct
 *   documents costs no compilation (compiled functions live as long as Apollo's parsed
 *   document does, in its bounded document cache);
 * - a document graphql-jit cannot compile;
 * - a request for a federated trace (`apollo-federation-include-trace: ftv1`): Apollo's trace
 *   instruments graphql-js's resolvers as they are called;
 * - subscriptions (served over WebSocket, by graphql-ws, with graphql-js).
 *
 * Variables are coerced first by graphql-js, so that bad ones are refused with graphql-js's
 * own errors; errors from a compiled execution are turned back into graphql-js GraphQLErrors
 * (message, locations, path, extensions and the original error kept), which Apollo and
 * makeFormatError expect.
 */
import { GraphQLError, execute, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';

/** Per parsed document: executions so far, and the compiled operations by name. */
interface Compiled {
  runs: number;
  byOperation: Map<string | null, CompiledQuery | null>;
}

/**
 * A query Apollo has served, compiled, that the HTTP server may run again without Apollo's
 * request pipeline (server.ts, `answerDirectly`): the same text and operation name passed
 * Apollo's parsing and validation (with the operation limits) and its literal checks once, and
 * give the same result again.
 */
export interface DirectQuery {
  /** The operation's own name, as Apollo reports it (metrics, logs). */
  operationName: string | null;
  /** Runs it: null when the variables do not coerce (Apollo then answers with its errors). */
  run(context: unknown, variables: Record<string, unknown> | undefined): Promise<ExecutionResult> | ExecutionResult | null;
}

export interface CompiledExecution {
  gateway: GatewayInterface;
  /** The query Apollo served with this text and operation name, compiled and without errors. */
  directQuery(source: string, operationName: string | null): DirectQuery | undefined;
  /** Executions by kind since the start (for tests and benchmarks); `direct`: answers sent without Apollo (server.ts). */
  counts: { compiled: number; interpreted: number; direct: number };
}

/**
 * Queries kept for the direct path at most (the map is emptied when full), and the longest
 * text kept: at most 20 MB of texts, whatever signed-in clients send (a body may hold 1 MB).
 */
const MAX_DIRECT_QUERIES = 1000;
export const MAX_DIRECT_QUERY_LENGTH = 20_000;

/** `compileOnRun`: the execution of a document on which it is compiled (2; 1 compiles at once). */
export function compiledExecution(schema: GraphQLSchema, compileOnRun = 2): CompiledExecution {
  const documents = new WeakMap<DocumentNode, Compiled>();
  const counts = { compiled: 0, interpreted: 0, direct: 0 };
  const direct = new Map<string, DirectQuery>();
  const directKey = (source: string, operationName: string | null) => `${operationName ?? ''}\u0000${source}`;

  const interpret = (rc: GatewayGraphQLRequestContext, operationName: string | null): Promise<ExecutionResult> | ExecutionResult => {
    counts.interpreted++;
    return execute({ schema, document: rc.document, contextValue: rc.context, variableValues: rc.request.variables, operationName });
  };

  const compiledFor = (document: DocumentNode, operationName: string | null): CompiledQuery | null => {
    let entry = documents.get(document);
    if (!entry) {
      entry = { runs: 0, byOperation: new Map() };
      documents.set(document, entry);
    }
    if (++entry.runs < compileOnRun) return null;
    if (!entry.byOperation.has(operationName)) {
      let compiled: CompiledQuery | null = null;
      try {
        const c = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
        compiled = isCompiledQuery(c) ? c : null;
      } catch {
        compiled = null;
      }
      entry.byOperation.set(operationName, compiled);
    }
    return entry.byOperation.get(operationName) ?? null;
  };

  const executor: GatewayExecutor = async (rc) => {
    const operation = rc.operation as OperationDefinitionNode | undefined;
    const operationName = rc.operationName ?? null;
    if (!operation || operation.operation === 'subscription' || rc.request.http?.headers.get('apollo-federation-include-trace') === 'ftv1') {
      return interpret(rc, operationName);
    }
    const compiled = compiledFor(rc.document, operationName);
    if (!compiled) return interpret(rc, operationName);
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rc.request.variables ?? {}, { maxErrors: 50 });
    if (coerced.errors) return { errors: coerced.errors };
    counts.compiled++;
    const result = await compiled.query(undefined, rc.context, rc.request.variables ?? {});
    if (result.errors?.length) return { ...result, errors: result.errors.map(asGraphQLError) };
    // served whole: the HTTP server may run this text again without the pipeline (a query
    // only: a mutation goes through every plugin, the rate limit among them)
    // (keyed by the operation name the client sent, which picked this operation in this text)
    if (operation.operation === 'query' && rc.source !== undefined && rc.source.length <= MAX_DIRECT_QUERY_LENGTH) {
      const key = directKey(rc.source, rc.request.operationName ?? null);
      if (!direct.has(key)) {
        if (direct.size >= MAX_DIRECT_QUERIES) direct.clear();
        direct.set(key, {
          operationName: rc.operationName ?? null,
          run(context, variables) {
            if (getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 50 }).errors) return null;
            return compiled.query(undefined, context, variables ?? {});
          },
        });
      }
    }
    return result;
  };

  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async load() {
      return { executor };
    },
    async stop() {},
  };
  return { gateway, counts, directQuery: (source, operationName) => direct.get(directKey(source, operationName)) };
}

/**
 * graphql-jit's error as graphql-js's: the same message, locations, path, extensions and
 * cause. Its errors pass `instanceof GraphQLError` but have no `extensions` object when the
 * cause carries none, which Apollo's error formatting reads without a check.
 */
function asGraphQLError(e: GraphQLError): GraphQLError {
  const jit = e as { message: string; locations?: GraphQLError['locations']; path?: GraphQLError['path']; originalError?: unknown; extensions?: GraphQLError['extensions'] };
  const original = jit.originalError instanceof Error ? jit.originalError : undefined;
  const error = new GraphQLError(jit.message, { path: jit.path, originalError: original, extensions: jit.extensions });
  if (jit.locations?.length) (error as { locations?: GraphQLError['locations'] }).locations = jit.locations;
  return error;
}
