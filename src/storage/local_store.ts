/**
 * The local-file ObjectStore. Reads byte ranges with positioned reads on an open file
 * handle, so a Parquet scan never holds more of a file than the ranges it asked for.
 */
import { open as openFile, readdir, stat as statPath, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectInfo, ObjectStore, ReadableObject } from './object_store.js';

/** A plain filesystem path for `path` (accepts file:// URLs). */
export function localPath(path: string): string {
  return path.startsWith('file://') ? fileURLToPath(path) : path;
}

async function readRange(fh: FileHandle, start: number, end: number): Promise<Uint8Array> {
  // every byte is read into it (or this throws): no need to zero it first; its own ArrayBuffer
  const out = new Uint8Array(Buffer.allocUnsafeSlow(end - start).buffer, 0, end - start);
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await fh.read(out, done, out.length - done, start + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + done}`);
    done += bytesRead;
  }
  return out;
}

/** A local file's version: a rewrite changes its size or mtime, a rename over it its inode. */
function localVersion(s: Stats): string {
  return `${s.size}:${s.mtimeMs}:${s.ino}`;
}

class LocalObject implements ReadableObject {
  bytesRead = 0;
  private closed = false;
  constructor(readonly path: string, private readonly fh: FileHandle, readonly byteLength: number, readonly version: string) {}

  async slice(start: number, end: number = this.byteLength): Promise<ArrayBuffer> {
    if (start < 0 || end > this.byteLength || start > end) {
      throw new Error(`byte range [${start}, ${end}) is outside the file (${this.byteLength} bytes)`);
    }
    const bytes = await readRange(this.fh, start, end);
    this.bytesRead += bytes.length;
    return bytes.buffer as ArrayBuffer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}

async function listRecursive(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const full = nodePath.join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const s = await statPath(full).catch(() => null);
      isDir = s?.isDirectory() ?? false;
      isFile = s?.isFile() ?? false;
    }
    if (isDir) await listRecursive(full, out);
    else if (isFile) out.push(full);
  }
}

export const localStore: ObjectStore = {
  async stat(path: string): Promise<ObjectInfo | null> {
    try {
      const s = await statPath(localPath(path));
      if (s.isDirectory()) return { kind: 'directory', size: 0 };
      if (s.isFile()) return { kind: 'file', size: s.size, version: localVersion(s) };
      return null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw e;
    }
  },

  async read(path: string, start: number, end: number): Promise<Uint8Array> {
    const fh = await openFile(localPath(path), 'r');
    try {
      return await readRange(fh, start, end);
    } finally {
      await fh.close();
    }
  },

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    try {
      await listRecursive(localPath(prefix), out);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw e;
    }
    return out.sort();
  },

  async open(path: string): Promise<ReadableObject> {
    const fh = await openFile(localPath(path), 'r');
    try {
      const s = await fh.stat();
      if (!s.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
      return new LocalObject(path, fh, s.size, localVersion(s));
    } catch (e) {
      await fh.close();
      throw e;
    }
  },
};
