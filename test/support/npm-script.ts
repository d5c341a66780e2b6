import { readFileSync } from 'node:fs';

/**
 * The node arguments of an npm script as package.json has it ("node --flag lambda/cli.ts" →
 * ["--flag", "lambda/cli.ts"]), so tests and benches start a command the way `npm start`
 * and `npm run query` do, not a variant of it that could drift.
 */
export function nodeArgsOf(script: 'start' | 'query' | 'status' | 'simulator'): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  const [bin, ...args] = (pkg.scripts[script] ?? '').split(/\s+/).filter(Boolean);
  if (bin !== 'node') throw new Error(`package.json scripts.${script} does not start with node: ${pkg.scripts[script]}`);
  return args;
}
