/**
 * Tests, the CLI and the benchmarks run on the Node.js major the Lambda runs, whatever the
 * machine's own node is: the pinned `node` devDependency puts its binary in node_modules/.bin,
 * which npm puts first on the PATH of every script (`npm test`, `npm start`, `npm run bench`)
 * and of `npm exec`/`npx`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/constructs/collector-function.ts';
import { buildStack, resourcesOfType } from './helpers.ts';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

/** The environment of a shell that never went through npm: no node_modules/.bin on the PATH. */
function plainShellEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.includes(`node_modules${'/'}.bin`) && !p.includes(join('node_modules', 'node', 'bin')))
    .join(delimiter);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: path };
  for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k];
  return env;
}

/** Runs `node <args>` the way an npm script does, from a plain shell. */
function nodeAsNpmScript(args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync('npm', ['exec', '--offline', '--', 'node', ...args], { cwd: REPO_ROOT, env: plainShellEnv(), encoding: 'utf8', timeout: 30_000 });
}

const major = (version: string) => Number(version.split('.')[0]);

describe('Runtime: Node.js parity with the Lambda', () => {
  let lambdaMajor: number;
  beforeAll(() => {
    const [[, fn] = ['', {}]] = resourcesOfType(buildStack().template, 'AWS::Lambda::Function');
    const runtime = String(fn.Runtime);
    expect(runtime).toMatch(/^nodejs\d+\.x$/);
    lambdaMajor = Number(/\d+/.exec(runtime)?.[0]);
  });

  it('pins the node devDependency exactly, at the Lambda runtime major, when package.json is read', () => {
    // Assess
    const pinned = pkg.devDependencies.node ?? '';
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(major(pinned)).toBe(lambdaMajor);
  });

  it('runs this test on the Lambda runtime major when the tests are started through npm', () => {
    // Assess
    expect(major(process.versions.node), `tests run on ${process.execPath}; start them with npm test or npx vitest`).toBe(lambdaMajor);
  });

  it('gives npm scripts the pinned node when they start from a shell whose node is another one', () => {
    // Act
    const run = nodeAsNpmScript(['-p', 'JSON.stringify([process.versions.node, process.execPath])']);

    // Assess
    expect(run.status, String(run.stderr)).toBe(0);
    const [version, execPath] = JSON.parse(String(run.stdout)) as [string, string];
    expect(version).toBe(pkg.devDependencies.node);
    expect(execPath.startsWith(join(REPO_ROOT, 'node_modules', 'node'))).toBe(true);
  });

  it('creates an AWS SDK client without the Node.js support warning when a script runs', () => {
    // Act: the SDK warns at client creation on Node.js below its announced minimum (22).
    const run = nodeAsNpmScript(['--input-type=module', '-e', "const { S3Client } = await import('@aws-sdk/client-s3'); new S3Client({ region: 'us-east-1' }); console.log('created');"]);

    // Assess
    expect(run.status, String(run.stderr)).toBe(0);
    expect(String(run.stdout).trim()).toBe('created');
    expect(String(run.stderr)).not.toMatch(/NodeVersionSupportWarning|will require node/);
  });
});
