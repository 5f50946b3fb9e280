import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Kernel tests create namespaces, veths and bpffs mounts: one file at a time, in forked
    // processes, so a test that enters a namespace can never affect another file.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/sweep.ts'],
    // Tests import the built package ('bpfscope', 'bpfscope/testing') exactly as users do: Node
    // loads dist/ itself instead of Vite transforming it.
    server: { deps: { external: [/\/dist\//] } },
  },
});
