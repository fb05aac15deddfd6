/** Subscription results shared per event among subscribers with the same document, variables and principal. */
import { buildSchema, parse, type ExecutionResult, type GraphQLObjectType } from 'graphql';
import { sharedExecution } from '../../src/events/shared-execution';
import type { Principal } from '../../src/auth/principal';

interface Ctx {
  principal: Principal | null;
}

/** Every subscriber's stream yields the same event objects, as the service's shared reads do. */
function setup() {
  const schema = buildSchema(`
    type Query { ok: Int }
    type Subscription { ev(k: Int): Ev }
    type Ev { n: Int, seenBy: String, run: Int }
  `);
  const events = [1, 2, 3, 4, 5].map((n) => ({ ev: { n } }));
  let runs = 0;
  let closed = 0;
  (schema.getSubscriptionType()!.getFields().ev as { subscribe?: unknown }).subscribe = async function* () {
    try {
      for (const e of events) yield e;
    } finally {
      closed++;
    }
  };
  const ev = schema.getType('Ev') as GraphQLObjectType;
  // what the principal sees, and which execution produced it
  ev.getFields().seenBy.resolve = (_s, _a, ctx: Ctx) => ctx.principal?.sub ?? null;
  ev.getFields().run.resolve = () => ++runs;
  let tick = 0;
  const shared = sharedExecution((args) => (args.contextValue as Ctx).principal, () => tick);
  const document = parse('subscription S($k: Int) { ev(k: $k) { n seenBy run } }');
  const subscribe = (principal: Principal | null, k = 1) =>
    shared.subscribe({ schema, document, variableValues: { k }, contextValue: { principal } }) as Promise<AsyncGenerator<ExecutionResult>>;
  return { shared, subscribe, setTick: (t: number) => (tick = t), closed: () => closed };
}

const customer = (sub: string): Principal => ({ sub, role: 'CUSTOMER', locationIds: [] });

async function take(stream: AsyncGenerator<ExecutionResult>, n: number): Promise<ExecutionResult[]> {
  const out: ExecutionResult[] = [];
  for (let i = 0; i < n; i++) out.push((await stream.next()).value as ExecutionResult);
  return out;
}

describe('sharedExecution', () => {
  it('executes each event once for subscribers with the same document, variables and principal', async () => {
    const { shared, subscribe } = setup();
    const [a, b, c] = await Promise.all([subscribe(customer('c1')), subscribe(customer('c1')), subscribe(customer('c1'))]);
    const [ra, rb, rc] = [await take(a, 5), await take(b, 5), await take(c, 5)];
    expect(shared.executions).toBe(5);
    expect(rb).toEqual(ra);
    expect(rc).toEqual(ra);
    expect(ra.map((r) => (r.data as { ev: { n: number } }).ev.n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('never reuses a result for another principal or other variables', async () => {
    const { shared, subscribe } = setup();
    const [mine, theirs, store, other] = await Promise.all([
      subscribe(customer('c1')),
      subscribe(customer('c2')),
      subscribe({ sub: 'c1', role: 'STORE', locationIds: ['l1'] }),
      subscribe(customer('c1'), 2),
    ]);
    const seen = await Promise.all([mine, theirs, store, other].map((s) => take(s, 5)));
    expect(shared.executions).toBe(20);
    expect(seen.map((rs) => (rs[0].data as { ev: { seenBy: string } }).ev.seenBy)).toEqual(['c1', 'c2', 'c1', 'c1']);
    const runs = new Set(seen.flat().map((r) => (r.data as { ev: { run: number } }).ev.run));
    expect(runs.size).toBe(20);
  });

  it('reuses a result only within the notification it was executed in', async () => {
    const { shared, subscribe, setTick } = setup();
    const a = await subscribe(customer('c1'));
    const b = await subscribe(customer('c1'));
    await take(a, 2);
    setTick(1); // a notification came: b reads the same events afresh
    const rb = await take(b, 2);
    expect(shared.executions).toBe(4);
    expect(rb.map((r) => (r.data as { ev: { run: number } }).ev.run)).toEqual([3, 4]);
  });

  it('passes return() on to the source stream, and an operation without a principal shares nothing', async () => {
    const { shared, subscribe, closed } = setup();
    const a = await subscribe(null);
    const b = await subscribe(null);
    await take(a, 1);
    await take(b, 1);
    expect(shared.executions).toBe(2);
    await a.return(undefined);
    await b.return(undefined);
    expect(closed()).toBe(2);
  });
});
