import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared beside the repository: TPC-H data, queries, expected answers, SQLite corpus. */
export const SHARED = resolve(REPO_ROOT, '../shared');
export const TPCH_DIR = resolve(SHARED, 'data/tpch');
export const TPCH_SF001 = resolve(TPCH_DIR, 'sf0.01');
export const HAVE_SHARED = existsSync(TPCH_SF001);
export const SHARED_MISSING_MESSAGE = `skipped: ${SHARED} is absent (a plain clone); these tests need ../shared/data/tpch`;
