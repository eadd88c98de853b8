import { defineConfig } from 'vitest/config';

// The whole suite runs twice: on the plain SIMD build and on the relaxed SIMD (FMA) build.
// V8 before 11.4 (Node 20) validates relaxed SIMD only behind a flag, given to that project's
// workers; Node 22+ runs it by default, and Node 24 rejects the flag (its workers would die).
const [v8Major, v8Minor] = process.versions.v8.split('.').map(Number) as [number, number];
const relaxedFlag = v8Major < 11 || (v8Major === 11 && v8Minor < 4) ? ['--experimental-wasm-relaxed-simd'] : [];

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
          execArgv: relaxedFlag,
        },
      },
    ],
  },
});
