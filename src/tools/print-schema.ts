/**
 * Writes schema.graphql (`npm run schema`) or, with --check, fails when the committed file
 * differs from what the code prints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { printSubgraphSchema } from '@apollo/subgraph';
import { buildOrdersSchema } from '../schema';

export const SCHEMA_FILE = path.resolve(__dirname, '../../../schema.graphql');

export async function printedSchema(): Promise<string> {
  return `${printSubgraphSchema(await buildOrdersSchema()).trim()}\n`;
}

async function main(): Promise<void> {
  const sdl = await printedSchema();
  if (process.argv.includes('--check')) {
    const committed = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
    if (committed !== sdl) {
      console.error('schema.graphql is stale: run `npm run schema` and commit the result.');
      process.exit(1);
    }
    console.log('schema.graphql is up to date');
    return;
  }
  fs.writeFileSync(SCHEMA_FILE, sdl);
  console.log(`wrote ${SCHEMA_FILE}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
