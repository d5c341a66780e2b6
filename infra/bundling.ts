/**
 * How the collector handler is bundled: one source of truth for the stack (NodejsFunction)
 * and the cold-start benchmark (esbuild API), so the benchmark measures what is deployed.
 */
import { fileURLToPath } from 'node:url';

/** Lets CommonJS dependencies call `require` inside the ESM bundle (Node built-ins mostly). */
export const ESM_REQUIRE_BANNER = "import { createRequire as __wolkvoxCreateRequire } from 'node:module'; const require = __wolkvoxCreateRequire(import.meta.url);";

/** Replaces the SDK's full credential chain with the environment provider Lambda uses (see the module). */
export const CREDENTIALS_ALIAS = {
  module: '@aws-sdk/credential-provider-node',
  replacement: fileURLToPath(new URL('../lambda/runtime/lambda-credentials.ts', import.meta.url)),
} as const;

export const BUNDLE = {
  target: 'node22',
  format: 'esm',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  // Keep class and function names: the fetch log records error class names.
  keepNames: true,
  sourcemap: false,
  // DuckDB is the local query tool only: the handler never imports it.
  external: ['@duckdb/*'],
} as const;
