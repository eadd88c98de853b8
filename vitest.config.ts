import { defineConfig } from 'vitest/config';

// The whole suite runs twice: on the plain SIMD build and on the relaxed SIMD (FMA) build.
// Node 20 validates relaxed SIMD only behind a V8 flag, given to that project's workers.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'plain', include: ['test/**/*.test.ts'], env: { MW_SIMD: 'plain' } } },
      {
        extends: true,
        test: {
          name: 'relaxed',
          include: ['test/**/*.test.ts'],
          exclude: ['test/oracle/**', 'test/**/*.once.test.ts'],
          env: { MW_SIMD: 'relaxed' },
          execArgv: ['--experimental-wasm-relaxed-simd'],
        },
      },
    ],
  },
});
