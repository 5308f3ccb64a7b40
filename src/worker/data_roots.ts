/**
 * Which files a worker process may read: only below the folders it was started with
 * (`--data-root DIR`, repeatable; default its working folder). A task whose plan names a
 * file anywhere else is refused before it runs.
 *
 * The check is lexical first (no file-system access, so a refusal says nothing about
 * whether the file exists), then on the real path, so a symbolic link inside a root cannot
 * lead outside it. Object-store URLs (s3://…) are not local files and pass.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { SpillwayError } from '../common/errors.js';
import type { PhysicalPlan } from '../plan/physical.js';
import { planNodes } from '../plan/physical_tree.js';

const URL = /^[a-z][a-z0-9+.-]*:\/\//i;

export class DataRoots {
  private readonly roots: string[];

  /** Folders as given (resolved against the working folder); each must exist. */
  constructor(folders: readonly string[]) {
    if (folders.length === 0) throw new SpillwayError('config', 'a worker needs at least one data root');
    this.roots = folders.map((f) => {
      try {
        return realpathSync(resolve(f));
      } catch {
        throw new SpillwayError('config', `data root "${f}" does not exist`);
      }
    });
  }

  get folders(): readonly string[] { return this.roots; }

  /** Throws a permission error naming the first file of the plan outside every root. */
  checkPlan(plan: PhysicalPlan): void {
    for (const node of planNodes(plan)) {
      if (node.kind !== 'ParquetScan' && node.kind !== 'CsvScan') continue;
      for (const task of node.slices) for (const slice of task) this.checkFile(slice.path);
    }
  }

  checkFile(path: string): void {
    if (URL.test(path) && !path.startsWith('file://')) return;
    const local = path.startsWith('file://') ? new globalThis.URL(path).pathname : path;
    const refuse = () => new SpillwayError('permission',
      `this worker reads only below its data roots (--data-root ${this.roots.join(', ')}); the plan names "${path}"`);
    if (!isAbsolute(local) || !this.inside(resolve(local))) throw refuse();
    let real: string;
    try {
      real = realpathSync(local);
    } catch {
      return; // inside a root but missing: the scan reports it like any missing file
    }
    if (!this.inside(real)) throw refuse();
  }

  private inside(path: string): boolean {
    return this.roots.some((root) => {
      const rel = relative(root, path);
      return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
    });
  }
}
