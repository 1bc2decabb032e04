import { defineConfig } from 'vitest/config';

/**
 * End-to-end suite: real Caddy, nginx and headless Chromium (Debian packages, installed by .ci/run) in front of the
 * standalone server and the dev OpenID provider, all on 127.0.0.1. `npm run test:e2e`.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    pool: 'forks',
    // Each file drives its own Chromium and proxies; two at a time fit the 2-core machines.
    maxWorkers: 2,
    // The dev IdP (oidc-provider) prints development notices on every start; they say nothing about the tests.
    onConsoleLog: (log) => !/^oidc-provider (NOTICE|WARNING)/.test(log),
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
  },
});
