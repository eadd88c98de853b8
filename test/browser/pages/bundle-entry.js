// esbuild entry for the bundled test pages. 'momentum-wasm' resolves to this package itself
// (package.json "exports"), as it would in an app that depends on it.
//   ?wasm=explicit: hand loadKernels the module's URL (the .wasm files sit next to the bundle);
//   otherwise the package finds ../build/*.wasm from the bundle's own URL.
import * as mw from 'momentum-wasm';
import { runBoth } from './scenario.js';

const explicit = new URLSearchParams(location.search).get('wasm') === 'explicit';
window.mwResult = runBoth(mw, (simd) => {
  if (!explicit) return {};
  const relaxed = simd === 'relaxed' || (simd === 'auto' && mw.relaxedSimdSupported());
  return { wasm: new URL(relaxed ? './relaxed.wasm' : './release.wasm', import.meta.url) };
});
