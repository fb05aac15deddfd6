/**
 * Entities of neighbour subgraphs: the customers subgraph owns Customer, the products
 * subgraph ProductVariant. This subgraph knows them by key and contributes fields to them
 * (contributed.resolver.ts): a customer's orders, a variant's availability.
 */
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A customer of the customers subgraph; this subgraph adds their orders.' })
export class Customer {
  @Field(() => ID) id!: string;
}

@Directive('@key(fields: "sku")')
@ObjectType({ description: 'A product variant of the products subgraph; this subgraph adds its availability.' })
export class ProductVariant {
  @Field() sku!: string;
}
