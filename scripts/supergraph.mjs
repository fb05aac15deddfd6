// npm run supergraph: composes this subgraph (schema.graphql) with the neighbour subgraphs of
// test/fixtures (subgraphs.json) and writes supergraph.graphql, for trying a router. Stops
// with the composition errors, if any; prints the hints.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { subgraphs } = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/subgraphs.json'), 'utf8'));
const result = composeServices(
  subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(fs.readFileSync(path.join(root, s.schema), 'utf8')) })),
);
for (const h of result.hints ?? []) console.warn(`hint ${h.definition.code}: ${h.message}`);
if (result.errors?.length) {
  for (const e of result.errors) console.error(`error: ${e.message}`);
  process.exit(1);
}
const out = path.join(root, 'supergraph.graphql');
fs.writeFileSync(out, result.supergraphSdl);
console.log(`wrote ${path.relative(process.cwd(), out)}: ${subgraphs.map((s) => `${s.name} (${s.url})`).join(', ')}`);
