// Bundles the console (console/src, plain TypeScript and graphql-ws's client) into
// dist/console with esbuild, beside its page and stylesheet. Part of `npm run build`.
// `--if-stale`: only when a source is newer than the bundle (npm start's pre-step).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'console');
const out = path.join(root, 'dist', 'console');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

export async function buildConsole({ ifStale = false } = {}) {
  const bundle = path.join(out, 'app.js');
  if (ifStale && fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs >= newest(src)) return false;
  fs.mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [path.join(src, 'src', 'main.ts')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'console.css']) fs.copyFileSync(path.join(src, f), path.join(out, f));
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildConsole({ ifStale: process.argv.includes('--if-stale') }).then(
    (built) => built && console.log(`console built into ${path.relative(root, out)}`),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
