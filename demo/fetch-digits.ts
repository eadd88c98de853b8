// Downloads the gzipped digits file, reporting the bytes as they arrive, and unpacks it with the
// browser's own gzip (DecompressionStream) while it downloads: no decompressor in the bundle.

/** The unpacked bytes of the file at `url`. */
export async function fetchDigits(url: URL, onProgress: (loaded: number, total: number | null) => void): Promise<ArrayBuffer> {
  const res = await fetch(url);
  const name = url.pathname.split('/').pop();
  if (!res.ok || !res.body) throw new Error(`could not load the digits (${name}): HTTP ${res.status}`);
  const length = Number(res.headers.get('content-length'));
  const total = length > 0 ? length : null;
  let loaded = 0;
  const counted = res.body.pipeThrough(new TransformStream<Uint8Array<ArrayBuffer>, BufferSource>({
    transform(chunk, out) {
      loaded += chunk.byteLength;
      onProgress(loaded, total);
      out.enqueue(chunk);
    },
  }));
  // a server that sends the file with Content-Encoding: gzip has had the browser unpack it already
  const unpacked = /\bgzip\b/i.test(res.headers.get('content-encoding') ?? '');
  return new Response(unpacked ? counted : counted.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
}
