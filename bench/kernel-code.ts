// What V8 makes of the GEMM microkernel's inner loop: runs the build in a child Node with
// --print-wasm-code, finds the loop that holds the multiply-adds, and counts its x64 instructions
// by kind. One k step of the loop is the unit of work; its instruction count against the 6-wide
// front end of this core is what bounds the plain build (see README, Performance).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface KernelCode {
  /** k steps per iteration of the loop as compiled (newer V8s unroll small loops) */
  stepsPerIteration: number;
  /** instructions per k step (one iteration's, nops excluded, over stepsPerIteration) */
  instructions: number;
  /** vfmadd / vmulps / vaddps */
  arithmetic: number;
  /** instructions that read memory into a vector register */
  loads: number;
  /** the rest, by mnemonic */
  other: Record<string, number>;
}

const DRIVER = `
import { readFileSync } from 'node:fs';
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[1]), {});
const e = instance.exports;
const base = (e.heap_base() + 4095) & ~4095;
if (e.memory.buffer.byteLength < base + 65536) e.memory.grow(2);
e.gemm_microkernel_loop(4, 16, base, base + 16384, base + 32768);
`;

interface Insn { addr: bigint; mnemonic: string; text: string }

function parse(listing: string): Insn[][] {
  const funcs: Insn[][] = [];
  let cur: Insn[] | null = null;
  for (const line of listing.split('\n')) {
    if (line.startsWith('kind: wasm function')) { cur = []; funcs.push(cur); continue; }
    const m = /^0x([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+(.*)$/.exec(line);
    if (m && cur) {
      const text = m[2]!.trim();
      const mnemonic = text.replace(/^REX\.W\s+/, '').split(/\s+/)[0]!;
      cur.push({ addr: BigInt('0x' + m[1]), mnemonic, text });
    }
  }
  return funcs;
}

const ARITH = /^(vfmadd\d+ps|vmulps|vaddps)$/;

/** the smallest loop (a backward conditional jump and its target) that contains arithmetic */
function innerLoop(f: Insn[]): Insn[] | null {
  let best: Insn[] | null = null;
  f.forEach((ins, i) => {
    const m = /^j[a-z]+\s+0x([0-9a-f]+)/.exec(ins.text.replace(/^REX\.W\s+/, ''));
    if (!m || ins.mnemonic === 'jmp') return;
    const target = BigInt('0x' + m[1]);
    if (target >= ins.addr) return;
    const start = f.findIndex((x) => x.addr === target);
    if (start < 0) return;
    const body = f.slice(start, i + 1);
    if (body.some((x) => ARITH.test(x.mnemonic)) && (!best || body.length < best.length)) best = body;
  });
  return best;
}

/** V8 before 11.4 (Node 20) runs relaxed SIMD only behind a flag; later ones reject the flag */
function relaxedFlag(): string[] {
  const [major, minor] = process.versions.v8.split('.').map(Number) as [number, number];
  return major < 11 || (major === 11 && minor < 4) ? ['--experimental-wasm-relaxed-simd'] : [];
}

/** `arithPerStep`: the arithmetic instructions one k step needs (MR x NR/4 FMAs, or twice that as mul + add) */
export function kernelCode(wasmFile: string, relaxed: boolean, arithPerStep: number): KernelCode | { skipped: string } {
  const wasm = fileURLToPath(new URL(`../${wasmFile}`, import.meta.url));
  const flags = ['--print-wasm-code', '--no-liftoff', ...(relaxed ? relaxedFlag() : [])];
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', DRIVER, wasm], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return { skipped: `node --print-wasm-code failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  for (const f of parse(r.stdout)) {
    const loop = innerLoop(f);
    if (!loop) continue;
    const body = loop.filter((x) => x.mnemonic !== 'nop');
    let arithmetic = 0, loads = 0;
    const other: Record<string, number> = {};
    for (const x of body) {
      if (ARITH.test(x.mnemonic)) arithmetic++;
      else if (/^(vmovdqu|vmovups|vbroadcastss|vmovss)$/.test(x.mnemonic) && /^\S+\s+xmm\d+,\[/.test(x.text.replace(/^REX\.W\s+/, ''))) loads++;
      else other[x.mnemonic] = (other[x.mnemonic] ?? 0) + 1;
    }
    const steps = Math.max(1, Math.round(arithmetic / arithPerStep));
    const per = (v: number) => Math.round((10 * v) / steps) / 10;
    return {
      stepsPerIteration: steps, instructions: per(body.length), arithmetic: per(arithmetic), loads: per(loads),
      other: Object.fromEntries(Object.entries(other).map(([m, n]) => [m, per(n)])),
    };
  }
  return { skipped: 'no loop with multiply-adds found in the printed code' };
}
