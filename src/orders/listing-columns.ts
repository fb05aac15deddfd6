/**
 * Which of an order's columns a listing reads: all of them, or a summary when every field the
 * operation selects on its orders is answered by the summary's columns.
 *
 * A customer's page of 20 orders decodes every row's columns in the pg driver (the address
 * as JSON, two timestamps): 9 to 10 µs a row on this machine against 4 to 5 for the summary's,
 * about a fifth of the server's CPU on that page (bench/README.md, session 10).
 *
 * Summary records (OrderSummary) are not put in the request's order loader, so nothing
 * else in the operation reads them. test/integration/listing-columns.test.ts holds every
 * summary field's answer to the full listing's.
 */
import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

export type ListingColumns = 'full' | 'summary';

/**
 * Order fields answered from the summary's columns (id, number, customer_id, status,
 * currency_code, created_at), by their resolvers in order.resolver.ts: canCancel reads
 * status; customer reads customerId; lines and total read id and currencyCode; holds,
 * fulfillmentPlan and events read id.
 */
const SUMMARY_FIELDS = new Set([
  '__typename', 'id', 'number', 'customerId', 'customer', 'status', 'canCancel', 'createdAt', 'lines', 'total', 'holds', 'fulfillmentPlan', 'events',
]);

/** Per field node of a parsed document (Apollo keeps parsed documents): computed once. */
const known = new WeakMap<FieldNode, ListingColumns>();

/** The columns a connection field (`orders`, `Customer.orders`) needs for what it selects. */
export function listingColumns(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): ListingColumns {
  const first = info.fieldNodes[0];
  if (info.fieldNodes.length === 1 && first) {
    const cached = known.get(first);
    if (cached) return cached;
  }
  let summary = true;
  const unknown = () => {
    summary = false;
  };
  for (const node of info.fieldNodes) {
    eachField(node.selectionSet, info.fragments, unknown, (edgeField) => {
      if (edgeField.name.value !== 'edges') return;
      eachField(edgeField.selectionSet, info.fragments, unknown, (edge) => {
        if (edge.name.value !== 'node') return;
        eachField(edge.selectionSet, info.fragments, unknown, (orderField) => {
          if (!SUMMARY_FIELDS.has(orderField.name.value)) summary = false;
        });
      });
    });
  }
  const columns: ListingColumns = summary ? 'summary' : 'full';
  if (info.fieldNodes.length === 1 && first) known.set(first, columns);
  return columns;
}

/**
 * Every field of a selection set, through fragment spreads and inline fragments; `unknown`
 * when it cannot tell (a fragment it does not have, nesting past any valid document's).
 */
function eachField(
  set: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>, unknown: () => void, visit: (f: FieldNode) => void, depth = 0,
): void {
  if (!set) return;
  if (depth > 20) return unknown();
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) visit(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) eachField(s.selectionSet, fragments, unknown, visit, depth + 1);
    else {
      const fragment = fragments[s.name.value];
      if (fragment) eachField(fragment.selectionSet, fragments, unknown, visit, depth + 1);
      else unknown();
    }
  }
}
