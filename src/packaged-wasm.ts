// Where the packaged .wasm builds are: next to this file's folder, in build/. Kept one level below
// the package root (src/packaged-wasm.ts, dist/packaged-wasm.js), so that the relative URL also
// holds for a bundle one folder deep (assets/app.js finds ../build/…), as bundlers that follow
// new URL(…, import.meta.url) expect; the loader in runtime/ asks here rather than computing it.
// Each URL is written out whole, so that bundlers see every file the library may load.
export function packagedWasmUrl(relaxed: boolean, shared = false): URL {
  if (shared) return relaxed ? new URL('../build/relaxed-shared.wasm', import.meta.url) : new URL('../build/release-shared.wasm', import.meta.url);
  return relaxed ? new URL('../build/relaxed.wasm', import.meta.url) : new URL('../build/release.wasm', import.meta.url);
}
