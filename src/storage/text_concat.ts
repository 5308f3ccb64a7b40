/**
 * concatTextFiles: CSV or JSON-lines part files → one file, by copying their bytes in order
 * after an optional head (a CSV header line). Nothing is parsed: every part ends its last
 * row with '\n', so the rows of the output are the parts' rows in part order.
 *
 *   head │ part 0's bytes │ part 1's bytes │ …
 *
 * gzip parts are gzip streams; a file of several gzip members one after the other is a
 * valid gzip file whose content is the members' contents in order (RFC 1952, 2.2), so the
 * head becomes one member of its own and the parts are copied as they are. The bytes move
 * on the local disk, a chunk at a time, never whole.
 */
import { createReadStream } from 'node:fs';
import { open as openFile, rm, type FileHandle } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { SpillwayError } from '../common/errors.js';
import { localPath } from './local_store.js';

export interface TextConcatOptions {
  /** Bytes before the first part (the CSV header), uncompressed. */
  head?: Uint8Array;
  /** The parts are gzip files (the head is compressed to match). */
  gzip: boolean;
}

/** Write `inputs` (local files, in order) as the one file `output` (created, must not exist); its size. */
export async function concatTextFiles(inputs: readonly string[], output: string, opts: TextConcatOptions): Promise<{ bytes: number }> {
  let out: FileHandle;
  try {
    out = await openFile(localPath(output), 'wx');
  } catch (e) {
    throw new SpillwayError('io', `cannot write "${output}": ${(e as Error).message}`, { cause: e });
  }
  try {
    let position = 0;
    if (opts.head !== undefined && opts.head.length > 0) {
      const head = opts.gzip ? gzipSync(opts.head) : opts.head;
      position += await writeAll(out, head, position);
    }
    for (const path of inputs) {
      for await (const chunk of createReadStream(localPath(path), { highWaterMark: 1 << 20 })) {
        position += await writeAll(out, chunk as Buffer, position);
      }
    }
    await out.close();
    return { bytes: position };
  } catch (e) {
    await out.close().catch(() => undefined);
    await rm(localPath(output), { force: true }).catch(() => undefined);
    throw e;
  }
}

async function writeAll(out: FileHandle, b: Uint8Array, at: number): Promise<number> {
  let done = 0;
  while (done < b.length) {
    const { bytesWritten } = await out.write(b, done, b.length - done, at + done);
    done += bytesWritten;
  }
  return b.length;
}
