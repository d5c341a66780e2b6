/**
 * The engine's shape, kept: functions a newcomer can read whole, runs that read as loops, and
 * labels only where the checkpoint is read and written (and at a few key and report
 * boundaries), so windows and days are values everywhere else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ENGINE = new URL('../../lambda/collector/', import.meta.url).pathname;
const LABEL_FUNCTIONS = new Set(['parseWall', 'labelOf', 'labelAfter', 'formatWall']);
/** Where labels may be made or read: the checkpoint's codec, window keys read back from a listing, report labels. */
const LABEL_BOUNDARIES: Record<string, number> = { 'checkpoint-codec.ts': Number.POSITIVE_INFINITY, 'day-objects.ts': 2, 'run-report.ts': 1 };

interface FunctionSize {
  readonly where: string;
  readonly name: string;
  readonly lines: number;
}

function engineFiles(): string[] {
  return (readdirSync(ENGINE, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).sort();
}

function survey(): { functions: FunctionSize[]; labelCalls: Map<string, number> } {
  const functions: FunctionSize[] = [];
  const labelCalls = new Map<string, number>();
  for (const file of engineFiles()) {
    const source = ts.createSourceFile(file, readFileSync(join(ENGINE, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const named = node.name ?? (ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent) ? node.parent.name : undefined);
        functions.push({ where: `${file}:${lineOf(node.getStart())}`, name: named?.getText(source) ?? '(anonymous)', lines: lineOf(node.end) - lineOf(node.getStart()) + 1 });
      }
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && LABEL_FUNCTIONS.has(node.expression.text)) labelCalls.set(file, (labelCalls.get(file) ?? 0) + 1);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { functions, labelCalls };
}

describe('Engine shape (lambda/collector/)', () => {
  const { functions, labelCalls } = survey();

  it('has no function over 60 lines', () => {
    // Assess
    expect(functions.length).toBeGreaterThan(50);
    expect(functions.filter((f) => f.lines > 60)).toEqual([]);
  });

  it('has runLive and runRange under 40 lines each: loops over phases', () => {
    // Act
    const runs = functions.filter((f) => f.where.startsWith('runs.ts') && (f.name === 'runLive' || f.name === 'runRange'));

    // Assess
    expect(runs.map((f) => f.name).sort()).toEqual(['runLive', 'runRange']);
    for (const f of runs) expect(f.lines, f.name).toBeLessThan(40);
  });

  it('parses and formats labels only in the checkpoint codec, and at most a handful of times at key and report boundaries', () => {
    // Act
    const outside = [...labelCalls].filter(([file]) => file !== 'checkpoint-codec.ts');

    // Assess
    expect(labelCalls.get('checkpoint-codec.ts') ?? 0).toBeGreaterThan(0);
    expect(outside.reduce((n, [, calls]) => n + calls, 0)).toBeLessThanOrEqual(5);
    for (const [file, calls] of outside) expect(calls, file).toBeLessThanOrEqual(LABEL_BOUNDARIES[file] ?? 0);
  });
});
