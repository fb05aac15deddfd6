// `npm start` builds first when the sources are newer than the build: an incremental tsc
// run that does nothing when dist/ is current, and the console's bundle when its sources
// changed (scripts/build-console.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('node_modules/typescript')) {
  console.error('Dependencies are missing: run `npm install` first.');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const c = spawnSync(process.execPath, ['scripts/build-console.mjs', '--if-stale'], { stdio: 'inherit' });
process.exit(c.status ?? 1);
