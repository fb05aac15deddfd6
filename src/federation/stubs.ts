/**
 * Entity stubs of neighbour subgraphs: this subgraph refers to customers and product
 * variants by key only; their own subgraphs resolve the rest. Marked resolvable: false
 * until this subgraph contributes fields to them.
 */
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@Directive('@key(fields: "id", resolvable: false)')
@ObjectType({ description: 'A customer of the customers subgraph.' })
export class Customer {
  @Field(() => ID) id!: string;
}

@Directive('@key(fields: "sku", resolvable: false)')
@ObjectType({ description: 'A product variant of the products subgraph.' })
export class ProductVariant {
  @Field() sku!: string;
}
