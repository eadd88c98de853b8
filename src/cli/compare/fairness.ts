// Fingerprints that make a comparison's fairness checkable: every run records one of the weights it
// started from (read back from wasm memory) and one of the row indices of every batch it trained on,
// in order. Equal fingerprints across optimizers mean the same start and the same data stream.

/** 64-bit fingerprint (16 hex digits) of the exact bits of 32-bit arrays, lengths included */
export function fingerprint(arrays: ReadonlyArray<Float32Array | Int32Array>): string {
  let h1 = 0x811c9dc5, h2 = 0x9747b28c;
  const word = (w: number): void => {
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = Math.imul((h2 ^ w) + 0x9e3779b9, 0x85ebca6b);
    h2 = (h2 << 13) | (h2 >>> 19);
  };
  word(arrays.length);
  for (const a of arrays) {
    word(a.length);
    const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
    for (let i = 0; i < u.length; i++) word(u[i]!);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0xc2b2ae35);
  return (h1 >>> 0).toString(16).padStart(8, '0') + ((h2 ^ (h2 >>> 13)) >>> 0).toString(16).padStart(8, '0');
}

/** the value shared by every element, or null when they differ (or there are none) */
export function common<T>(values: readonly T[]): T | null {
  if (values.length === 0) return null;
  return values.every((v) => v === values[0]) ? values[0]! : null;
}
