import { defineConfig } from 'vitest/config';

// One config for every package: `@lfm/*` imports resolve to each package's TypeScript source
// through the `@lfm/source` export condition, so tests never need a prior build.
export default defineConfig({
  resolve: { conditions: ['@lfm/source'] },
  ssr: { resolve: { conditions: ['@lfm/source'], externalConditions: ['@lfm/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
