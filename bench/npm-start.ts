/**
 * 12. A busy day's range from `npm start` as a user types it (issue 20): npm's own start, the
 * CLI's, the calls and the close, against 1/L. npm runs as from a plain shell (the project's
 * node_modules/.bin off the PATH, so npm runs on the machine's node, and npm start on the
 * pinned one); the simulator answers here, in L ms a call, over the busy operation's day.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { startSimulator } from '../test/simulator/index.ts';
import { BENCH_TOKEN } from './collector-deps.ts';
import { FROM, L, split, TO } from './range-throughput.ts';

const ROOT = new URL('../', import.meta.url).pathname;

/** PATH as a shell outside the project has it: without the node_modules/.bin npm run puts first. */
function plainPath(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes(`node_modules${'/'}.bin`))
    .join(delimiter);
}

function npm(args: readonly string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', [...args], { cwd: ROOT, env: { ...process.env, PATH: plainPath(), ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

export async function benchNpmStart() {
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032', latencyMs: L, traffic: { kind: 'busy' } });
  const out = mkdtempSync(join(tmpdir(), 'bench-npm-start-'));
  try {
    const env = { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: BENCH_TOKEN, WOLKVOX_BASE_URL: sim.origin };
    // Not the first run after an install or an edit: Node's compile cache is warm, as for a user's second command.
    if ((await npm(['start', '--', '--help'], env)) !== 0) throw new Error('npm start -- --help failed');
    const helpStarted = Date.now();
    await npm(['start', '--', '--help'], env);
    const helpMs = Date.now() - helpStarted;
    const started = Date.now();
    const code = await npm(['start', '--', '--from', FROM, '--to', TO, '--out', out], env);
    const ended = Date.now();
    if (code !== 0) throw new Error(`npm start exited ${code}`);
    return { npm_start_help_ms: helpMs, ...split(sim, started, ended) };
  } finally {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  }
}
