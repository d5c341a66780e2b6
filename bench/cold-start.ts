/**
 * 3. Cold start: module-init overhead of the bundled handler (the stack's esbuild settings)
 * against a plain transpile of the same handler resolving the SDK from node_modules.
 * Overhead = wall time of a fresh `node` importing the handler minus that of `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE } from '../infra/bundling.ts';
import { bundleLikeLambda } from './bundle-like-lambda.ts';
import { median, round } from './stats.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const OUT = join(ROOT, '.tmp', 'bench-cold-start');

const LAMBDA_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  WOLKVOX_SERVER: '0032',
  WOLKVOX_TOKEN_SECRET_ID: 'wolkvox/0032',
  BUCKET_NAME: 'bench-bucket',
  FIRST_DAY: '2026-10-01',
  POWERTOOLS_SERVICE_NAME: 'wolkvox-collector',
};

async function bundled(): Promise<string> {
  const outfile = join(OUT, 'bundled', 'index.mjs');
  await bundleLikeLambda(join(ROOT, 'lambda/handler.ts'), outfile, { lambdaCredentials: true });
  return outfile;
}

/** Every lambda/ module transpiled on its own (imports rewritten to .js), dependencies left to node_modules. */
async function unbundled(): Promise<string> {
  const outdir = join(OUT, 'unbundled', 'lambda');
  await build({
    entryPoints: [join(ROOT, 'lambda/**/*.ts')],
    outdir,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: BUNDLE.target,
    logLevel: 'silent',
  });
  // esbuild keeps `.ts` in import specifiers when not bundling; Node needs the emitted `.js`.
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith('.js')) writeFileSync(p, readFileSync(p, 'utf8').replace(/(from\s*["'][^"']+)\.ts(["'])/g, '$1.js$2'));
    }
  };
  walk(outdir);
  // Resolve node_modules from the repository, as an unbundled deployment would ship them.
  writeFileSync(join(OUT, 'unbundled', 'package.json'), '{"type":"module"}');
  return join(outdir, 'handler.js');
}

/** Wall time of a fresh `node` with these arguments, in a Lambda-like environment. */
export function wallMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env: LAMBDA_ENV, encoding: 'utf8', cwd: ROOT });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (run.status !== 0) throw new Error(`cold-start child failed: ${run.stderr}`);
  return ms;
}

export async function benchColdStart(samples = 15) {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const bundle = await bundled();
  const plain = await unbundled();
  // node_modules must be reachable from the unbundled copy: link the repository's.
  symlinkSync(join(ROOT, 'node_modules'), join(OUT, 'unbundled', 'node_modules'));
  const importOf = (file: string) => ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); if (typeof m.handler !== 'function') process.exit(3);`];
  const bare: number[] = [];
  const withBundle: number[] = [];
  const withPlain: number[] = [];
  wallMs(importOf(bundle));
  wallMs(importOf(plain));
  // Interleaved, so that machine noise hits all three alike.
  for (let i = 0; i < samples; i += 1) {
    bare.push(wallMs(['-e', '0']));
    withBundle.push(wallMs(importOf(bundle)));
    withPlain.push(wallMs(importOf(plain)));
  }
  const base = median(bare);
  const bundledOverhead = median(withBundle) - base;
  const plainOverhead = median(withPlain) - base;
  return {
    samples,
    bare_node_ms: round(base, 1),
    bundled_init_ms: round(bundledOverhead, 1),
    unbundled_init_ms: round(plainOverhead, 1),
    bundled_to_unbundled_ratio: round(bundledOverhead / plainOverhead, 3),
    bundle_kb: round(statSync(bundle).size / 1024, 1),
  };
}
