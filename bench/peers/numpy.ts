// numpy peer: runs numpy_mlp.py (W1, W2 and GEMM 256x784x512 in plain numpy) on the same MNIST
// rows, single-threaded, and reads back its JSON. Optional: a missing python3 or numpy is a skip.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NumpyResult, Skipped } from '../results.js';

const SCRIPT = fileURLToPath(new URL('./numpy_mlp.py', import.meta.url));

/** `threads`: OpenBLAS's thread count (1, like every number of the main bench; the threads bench also asks for all cores).
 *  `coreType`: OPENBLAS_CORETYPE, to hold OpenBLAS to one kernel family (unset: it picks its own for this CPU) */
export function runNumpy(x: Float32Array, y: Uint8Array, quick: boolean, threads = 1, coreType?: string): NumpyResult | Skipped {
  const rows = y.length;
  const dir = mkdtempSync(join(tmpdir(), 'momentum-wasm-bench-'));
  try {
    const file = join(dir, 'mnist.bin');
    const bytes = new Uint8Array(rows * 784 * 4 + rows);
    bytes.set(new Uint8Array(x.buffer, x.byteOffset, rows * 784 * 4));
    bytes.set(y, rows * 784 * 4);
    writeFileSync(file, bytes);
    // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset so OpenBLAS picks its kernels for this CPU
    // itself (a pinned core type could understate it), unless the caller pins one on purpose.
    const n = String(threads);
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    if (coreType) env.OPENBLAS_CORETYPE = coreType;
    const r = spawnSync('python3', [SCRIPT, file, String(rows), ...(quick ? ['--quick'] : [])], {
      env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 180_000,
    });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      return { skipped: code === 'ENOENT' ? 'python3 is not installed' : `python3 failed: ${r.error.message}` };
    }
    if (r.status !== 0) return { skipped: `numpy_mlp.py exited with ${r.status ?? r.signal}` };
    const lastLine = r.stdout.trim().split('\n').pop() ?? '';
    let out: NumpyResult | Skipped;
    try {
      out = JSON.parse(lastLine) as NumpyResult | Skipped;
    } catch {
      return { skipped: `numpy_mlp.py printed no JSON: ${lastLine.slice(0, 200)}` };
    }
    if (!('skipped' in out)) out.threads = threads;
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
