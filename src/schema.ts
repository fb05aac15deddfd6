/**
 * The Federation 2 subgraph schema. type-graphql builds a schema from the classes; its SDL
 * (printed with directives, since type-graphql's own printer drops @key) goes through
 * @apollo/subgraph's buildSubgraphSchema together with type-graphql's resolver map and the
 * __resolveReference functions type-graphql does not generate.
 */
import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { isUnionType, parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, getMetadataStorage } from 'type-graphql';
import { DateTimeScalar } from './common/scalars';
import { OrderEventResolver, OrderLineResolver, OrderResolver } from './orders/order.resolver';
import { ExcludedCandidateResolver, FulfillmentGroupPreviewResolver, FulfillmentGroupResolver, FulfillmentPlanResolver } from './fulfillment/fulfillment.resolver';
import { InventoryPositionResolver, LocationResolver } from './inventory/inventory.resolver';
import { SourcingRuleResolver } from './sourcing/sourcing.resolver';
import { CartReservationLineResolver, CartReservationResolver } from './carts/cart.resolver';
import { referenceResolvers } from './federation/references';
import { CustomerResolver, ProductVariantResolver } from './federation/contributed.resolver';
import { FulfillmentEventResolver, SubscriptionResolver } from './events/event.resolver';
import { validateMachine } from './fulfillment/state-machine';
import { badInput } from './common/errors';

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

const noPubSub = {
  publish(): void {
    throw new Error('subscriptions stream from the outbox; nothing publishes');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('subscriptions stream from the outbox; nothing subscribes to topics');
  },
};

export async function buildOrdersSchema(): Promise<GraphQLSchema> {
  validateMachine();
  // Parameter decorators run last-to-first, and type-graphql 2.0-rc keeps that order for the
  // arguments it prints; sorting by parameter index prints them as the methods declare them.
  getMetadataStorage().params.sort((a, b) => a.index - b.index);
  plainFieldsReadDirectly();
  const schema = await buildSchema({
    resolvers: [
      OrderResolver, OrderLineResolver, OrderEventResolver,
      FulfillmentPlanResolver, FulfillmentGroupResolver, ExcludedCandidateResolver, FulfillmentGroupPreviewResolver,
      LocationResolver, InventoryPositionResolver, SourcingRuleResolver, CartReservationResolver, CartReservationLineResolver,
      SubscriptionResolver, FulfillmentEventResolver, CustomerResolver, ProductVariantResolver,
    ],
    // Every subscription brings its own stream (events/); type-graphql still wants a PubSub.
    pubSub: noPubSub,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
    // Federation directives (@key, @shareable) are defined by buildSubgraphSchema below.
    skipCheck: true,
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  leanFieldResolvers(resolvers);
  for (const [type, fns] of Object.entries(referenceResolvers)) resolvers[type] = { ...(resolvers[type] ?? {}), ...fns };
  const subgraph = buildSubgraphSchema({ typeDefs, resolvers: resolvers as never });
  limitRepresentations(subgraph);
  return subgraph;
}

/*
 * type-graphql puts a resolver of its own around every field, for its middlewares, auth
 * checker and argument validation; this schema uses none of them (no globalMiddlewares, no
 * authChecker, validate: false, no @UseMiddleware or @Authorized), and on a deep read the
 * wrappers cost more than the work they wrap (a customer's page of 20 orders calls them ~500
 * times). The two functions below drop them where they only pass values through, and leave
 * them wherever a field takes arguments, which type-graphql converts into input classes.
 */

/** A field with no field resolver is read as a property by graphql-js's default resolver. */
function plainFieldsReadDirectly(): void {
  for (const field of getMetadataStorage().fields) {
    if (field.simple !== undefined || field.middlewares?.length || field.roles !== undefined) continue;
    field.simple = true;
  }
}

type Lean = (root: unknown, args: unknown, context: unknown) => unknown;

/**
 * A field resolver whose parameters are only `@Root()` (untyped: passed as it is) and
 * `@Ctx()` is called directly, on one instance of its (stateless) resolver class, instead of
 * through type-graphql's wrapper, which sorts and maps the parameter list on every call.
 */
function leanFieldResolvers(resolvers: Record<string, Record<string, unknown>>): void {
  const storage = getMetadataStorage();
  const instances = new Map<Function, Record<string, (...a: unknown[]) => unknown>>();
  for (const fr of storage.fieldResolvers) {
    if (fr.kind !== 'external' || fr.middlewares?.length || fr.roles !== undefined || !fr.getObjectType) continue;
    const params = [...(fr.params ?? [])].sort((a, b) => a.index - b.index);
    const passThrough = params.every((p) => (p.kind === 'root' && !p.propertyName && !p.getType) || (p.kind === 'context' && !p.propertyName));
    if (!passThrough) continue;
    const objectClass = fr.getObjectType();
    const typeName = storage.objectTypes.find((o) => o.target === objectClass)?.name;
    const current = typeName ? resolvers[typeName]?.[fr.schemaName] : undefined;
    if (typeof current !== 'function') continue;
    let instance = instances.get(fr.target);
    if (!instance) {
      instance = new (fr.target as new () => Record<string, (...a: unknown[]) => unknown>)();
      instances.set(fr.target, instance);
    }
    const self = instance;
    const method = self[fr.methodName];
    const kinds = params.map((p) => p.kind).join(',');
    const lean: Lean =
      kinds === 'root' ? (root) => method.call(self, root)
      : kinds === 'root,context' ? (root, _args, context) => method.call(self, root, context)
      : kinds === 'context,root' ? (root, _args, context) => method.call(self, context, root)
      : (root, _args, context) => method.apply(self, params.map((p) => (p.kind === 'root' ? root : context)));
    resolvers[typeName!][fr.schemaName] = lean;
  }
}

/** Representations one `_entities` call may carry; a router batches a page's entities into one call. */
export const MAX_REPRESENTATIONS = 1000;

/**
 * `_entities` refuses, with a clear error and before resolving any: more than
 * MAX_REPRESENTATIONS, and a representation whose `__typename` is not an entity here.
 */
function limitRepresentations(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve;
  const union = schema.getType('_Entity');
  if (!field || !resolve || !isUnionType(union)) throw new Error('the subgraph schema has no _entities resolver');
  const entities = new Set(union.getTypes().map((t) => t.name));
  field.resolve = (source, args, ctx, info) => {
    const representations = (args as { representations?: { __typename?: unknown }[] }).representations ?? [];
    const n = representations.length;
    if (n > MAX_REPRESENTATIONS) throw badInput(`_entities takes at most ${MAX_REPRESENTATIONS} representations per call, got ${n}`, 'representations');
    for (const r of representations) {
      const type = r?.__typename;
      if (typeof type !== 'string' || !entities.has(type)) {
        throw badInput(`representations: ${typeof type === 'string' ? `"${type}" is not an entity of this subgraph` : 'each needs a __typename'} (entities: ${[...entities].join(', ')})`, 'representations');
      }
    }
    return resolve(source, args, ctx, info);
  };
}
