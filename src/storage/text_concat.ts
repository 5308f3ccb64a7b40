/**
 * concatTextFiles: CSV or JSON part files → one file, by copying their bytes in order
 * between an optional head and tail, with an optional separator between two non-empty parts.
 * Nothing is parsed: CSV and JSON-lines parts end their last row with '\n' (head: the CSV
 * header line); JSON-array parts hold objects each after a newline with commas between them
 * (head '[', separator ',', tail '\n]\n'), so the rows of the output are the parts' rows in
 * part order. An empty part is an empty file (text_writer.ts).
 *
 *   head │ part 0's bytes │ separator │ part 1's bytes │ … │ tail
 *
 * gzip parts are gzip streams; a file of several gzip members one after the other is a
 * valid gzip file whose content is the members' contents in order (RFC 1952, 2.2), so the
 * head, separators and tail become members of their own and the parts are copied as they are. The bytes move
 * on the local disk, a chunk at a time, never whole.
 */
import { createReadStream } from 'node:fs';
import { open as openFile, rm, type FileHandle } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { SpillwayError } from '../common/errors.js';
import { localPath } from './local_store.js';

export interface TextConcatOptions {
  /** Bytes before the first part (the CSV header, '['), uncompressed. */
  head?: Uint8Array;
  /** Bytes between two parts that are not empty, uncompressed. */
  separator?: Uint8Array;
  /** Bytes after the last part, uncompressed. */
  tail?: Uint8Array;
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
    const encode = (b: Uint8Array | undefined) => (b === undefined || b.length === 0 ? null : opts.gzip ? gzipSync(b) : b);
    const [head, separator, tail] = [encode(opts.head), encode(opts.separator), encode(opts.tail)];
    let position = 0;
    if (head !== null) position += await writeAll(out, head, position);
    let parts = 0;
    for (const path of inputs) {
      let first = true;
      for await (const chunk of createReadStream(localPath(path), { highWaterMark: 1 << 20 })) {
        if (first && parts++ > 0 && separator !== null) position += await writeAll(out, separator, position);
        first = false;
        position += await writeAll(out, chunk as Buffer, position);
      }
    }
    if (tail !== null) position += await writeAll(out, tail, position);
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
