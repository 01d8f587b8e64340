// Bootstraps `npm run demo` on a fresh clone: installs node modules when missing, then runs the
// TypeScript demo through tsx. (The Python venv for Milvus Lite is built by the launcher itself.)
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'node_modules', 'tsx'))) {
  console.log('Installing node modules (npm ci)...');
  execSync('npm ci', { cwd: root, stdio: 'inherit' });
}
if (!existsSync(join(root, 'web', 'dist', 'index.html'))) {
  console.log('Building the web console (npm run build:web)...');
  execSync('npm run build:web', { cwd: root, stdio: 'inherit' });
}
const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'demo.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
