// Where the packaged .wasm builds are: next to this file's folder, in build/. Kept one level below
// the package root (src/packaged-wasm.ts, dist/packaged-wasm.js), so that the relative URL also
// holds for a bundle one folder deep (assets/app.js finds ../build/…), as bundlers that follow
// new URL(…, import.meta.url) expect; the loader in runtime/ asks here rather than computing it.
export function packagedWasmUrl(relaxed: boolean): URL {
  return relaxed ? new URL('../build/relaxed.wasm', import.meta.url) : new URL('../build/release.wasm', import.meta.url);
}
