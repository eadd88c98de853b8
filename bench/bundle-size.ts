// `npx tsx bench/bundle-size.ts`: what the library weighs in a browser bundle (esbuild, ESM,
// minified; gzip level 9), with and without the ONNX encoder onnx-proto that export loads.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
for (const [label, external] of [['the library', []], ['without onnx-proto', ['onnx-proto']]] as const) {
  const r = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', minify: true, write: false, external: [...external], logLevel: 'silent' });
  const code = r.outputFiles[0]!.contents;
  console.log(`${label.padEnd(20)} ${(code.length / 1000).toFixed(1)} kB minified, ${(gzipSync(code, { level: 9 }).length / 1000).toFixed(1)} kB gzipped`);
}
