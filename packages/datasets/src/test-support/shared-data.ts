import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `<repo>/../shared/data/` (the research corpus, never copied into the repo), or $LFM_SHARED_DATA.
 * From packages/datasets/src/test-support/: ../../../../../ is the repository's parent folder.
 */
export const SHARED_DATA_DIR =
  process.env.LFM_SHARED_DATA ?? fileURLToPath(new URL('../../../../../shared/data/', import.meta.url));

export const NATIVE_DIR = `${SHARED_DATA_DIR.replace(/\/$/, '')}/native`;

export const HAVE_SHARED_DATA = existsSync(`${SHARED_DATA_DIR.replace(/\/$/, '')}/README.md`);
export const HAVE_NATIVE = existsSync(`${NATIVE_DIR}/README.md`);

/** Warn once, visibly, when a suite is skipped for lack of the shared data. */
export function warnIfMissing(have: boolean, what: string): void {
  if (!have)
    console.warn(
      `[@lfm/datasets] ${what}: ${SHARED_DATA_DIR} not found — skipping (set LFM_SHARED_DATA to run)`,
    );
}
