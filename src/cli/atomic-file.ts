// Files the CLI writes appear whole or not at all: the bytes go to a temporary file beside the
// target (same folder, so the rename cannot cross file systems), which is renamed over the target
// only once everything was written. A failure removes the temporary file and leaves any older
// file of that name as it was.
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';

const temporaryBeside = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = temporaryBeside(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A file written piece by piece: `write` as often as needed, then `commit` (rename) or `abort`. */
export class AtomicWriter {
  private readonly tmp: string;
  private readonly out: WriteStream;
  private failed: Error | null = null;

  constructor(readonly path: string) {
    this.tmp = temporaryBeside(path);
    this.out = createWriteStream(this.tmp);
    this.out.on('error', (e) => { this.failed = e; });
  }

  async write(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  async commit(): Promise<void> {
    if (this.failed) throw this.failed;
    this.out.end();
    await once(this.out, 'finish');
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    this.out.destroy();
    await rm(this.tmp, { force: true });
  }
}
