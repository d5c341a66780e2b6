/**
 * The one test with real bundling: esbuild runs locally (no Docker) on lambda/handler.ts and
 * the asset must hold a self-contained ESM handler without DuckDB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_ENTRY } from '../../infra/constructs/collector-function.ts';
import { buildStack, resourcesOfType } from './helpers.ts';

// Skipped (reported as such) while the collector's entry point does not exist.
const HANDLER_EXISTS = existsSync(HANDLER_ENTRY);

describe.skipIf(!HANDLER_EXISTS)('Bundling: collector asset (lambda/handler.ts)', () => {
  let outdir: string;
  let assetDir: string;
  let code: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'wolkvox-cdk-'));
    const built = buildStack({ bundling: true, outdir });
    built.app.synth();
    const [[, fn] = ['', {}]] = resourcesOfType(built.template, 'AWS::Lambda::Function');
    const key = (fn.Code as { S3Key: string }).S3Key;
    assetDir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
  }, 120_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('ships one ESM file and no node_modules when bundled locally', () => {
    // Assess
    expect(readdirSync(assetDir)).toEqual(['index.mjs']);
  });

  it('exports the handler when the bundle is read', () => {
    // Assess
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
  });

  it('excludes DuckDB when the handler is bundled', () => {
    // Assess
    expect(code.toLowerCase()).not.toContain('duckdb');
  });

  it('excludes the test-only tools (the AGPL-3.0 policy simulator, the SQL grammar) when the handler is bundled', () => {
    // Assess: strings these libraries cannot do without (keepNames keeps class names).
    expect(code).not.toContain('ExplicitlyDenied');
    expect(code).not.toContain('TrinoSQL');
    expect(code).not.toContain('antlr4ng');
  });

  it('bundles the AWS SDK instead of importing it from the runtime', () => {
    // Assess
    // An import or require of an external @aws-sdk module (error-message text such as
    // `[require("@aws-sdk/signature-v4-crt");]` inside the SDK does not count).
    expect(code).not.toMatch(/(?<![[\w])(?:from\s*|import\s*\(?\s*|__require\(\s*)["']@aws-sdk\//);
    expect(code).toContain('GetObjectCommand');
    expect(code).toContain('GetSecretValueCommand');
  });

  it('keeps only the environment credential provider when the SDK is bundled for Lambda', () => {
    // Assess: the SSO / INI-file links of the default chain are aliased away, the env provider stays.
    expect(code).not.toContain('sso_start_url');
    expect(code).toContain('AWS_SECRET_ACCESS_KEY');
  });

  it('defines require for CommonJS dependencies when the output is ESM', () => {
    // Assess
    expect(code.startsWith("import { createRequire as __wolkvoxCreateRequire } from 'node:module'; const require = __wolkvoxCreateRequire(import.meta.url);")).toBe(true);
  });

  it('loads in Node and exposes a handler function when the Lambda environment is set', () => {
    // Prepare
    const url = pathToFileURL(join(assetDir, 'index.mjs')).href;
    const script = `const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`;

    // Act
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        WOLKVOX_SERVER: '0032',
        WOLKVOX_TIMEZONE: 'America/Bogota',
        WOLKVOX_TOKEN_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token-AbCdEf',
        BUCKET_NAME: 'wolkvox-test-bucket',
        DATA_PREFIX: 'wolkvox',
        FIRST_DAY: '2026-10-01',
        POWERTOOLS_SERVICE_NAME: 'wolkvox-collector',
        POWERTOOLS_METRICS_NAMESPACE: 'WolkvoxCollector',
      },
    });

    // Assess: loading logs where the token goes (once per cold start), then the import resolves.
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('function');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l) as unknown)).toEqual([expect.objectContaining({ message: 'Wolkvox API origin', origin: 'https://wv0032.wolkvox.com', operation: '0032' })]);
  });
});
