/**
 * The service assembled as in production (schema, services, Apollo Server, the same
 * context factory and plugins) on a database of the test file's own. `exec` runs a typed
 * document as a principal, through a real signed token.
 */
import 'reflect-metadata';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import type { Config } from '../../src/config';
import { TokenVerifier } from '../../src/auth/tokens';
import type { Role } from '../../src/auth/principal';
import { createServices, type Services } from '../../src/services';
import { buildOrdersSchema } from '../../src/schema';
import { createApp, type App } from '../../src/server';
import { createContext } from '../../src/context';
import { createLogger, silentLogger } from '../../src/log';
import type { Database } from '../../src/db/database';
import { createTestDatabase, type TestDatabase } from './database';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

export interface As {
  role: Role;
  sub?: string;
  locationIds?: string[];
}

export interface ExecResult<T> {
  data: T | null | undefined;
  errors: readonly GraphQLFormattedError[] | undefined;
}

export interface TestApp {
  tdb: TestDatabase;
  db: Database;
  services: Services;
  app: App;
  verifier: TokenVerifier;
  token(as: As): Promise<string>;
  /** Runs the operation in-process (executeOperation) with `as`'s token, or none. */
  exec<T, V extends Record<string, unknown>>(doc: TypedDocumentNode<T, V>, variables: V, as?: As | null): Promise<ExecResult<T>>;
  /** Runs a query given as text, for a document with no generated type (a test's own selection). */
  raw(query: string, variables: Record<string, unknown>, as?: As | null): Promise<ExecResult<Record<string, unknown>>>;
  /** Like exec, but fails the test on GraphQL errors and returns data. */
  ok<T, V extends Record<string, unknown>>(doc: TypedDocumentNode<T, V>, variables: V, as?: As | null): Promise<T>;
  close(): Promise<void>;
}

export async function createTestApp(opts: { nodeEnv?: Config['nodeEnv']; routerSecrets?: string[]; poolSize?: number; compileOnRun?: number } = {}): Promise<TestApp> {
  const tdb = await createTestDatabase(opts.poolSize);
  // Unexpected errors are masked in responses; keep them to explain a failing test.
  const logged: string[] = [];
  const verifier = new TokenVerifier({ secret: TEST_SECRET });
  const services = createServices(tdb.db, silentLogger);
  const app = await createApp({
    config: { nodeEnv: opts.nodeEnv ?? 'test', routerSecrets: opts.routerSecrets ?? [] },
    schema: await buildOrdersSchema(),
    db: tdb.db,
    services,
    verifier,
    log: createLogger('error', (line) => logged.push(line)),
    // every operation compiled from its first run, so that the tests run the compiled path
    // (the server compiles on the second; the HTTP tests run that default)
    compileOnRun: opts.compileOnRun ?? 1,
  });
  const token = (as: As) => verifier.sign({ sub: as.sub ?? `${as.role.toLowerCase()}-1`, role: as.role, locationIds: as.locationIds });
  const raw: TestApp['raw'] = async (query, variables, as) => {
    const authorization = as ? `Bearer ${await token(as)}` : undefined;
    const contextValue = await createContext({ db: tdb.db, services, verifier }, authorization);
    const res = await app.apollo.executeOperation({ query, variables }, { contextValue });
    if (res.body.kind !== 'single') throw new Error('unexpected incremental result');
    return { data: res.body.singleResult.data as never, errors: res.body.singleResult.errors };
  };
  const exec: TestApp['exec'] = (doc, variables, as) => raw(print(doc), variables, as) as never;
  return {
    tdb,
    db: tdb.db,
    services,
    app,
    verifier,
    token,
    exec,
    raw,
    async ok(doc, variables, as) {
      const r = await exec(doc, variables, as);
      if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}\nserver log: ${logged.slice(-3).join('\n')}`);
      return r.data!;
    },
    async close() {
      await app.stop();
      await tdb.drop();
    },
  };
}
