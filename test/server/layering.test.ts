// The layering check (test/layering/check-layers.ts, run by `npm run lint`) finds imports that run upward.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findViolations, relativeImports, sourceFiles } from '../layering/check-layers.ts';
import type { LayerRule } from '../layering/layers.ts';

const RULES: readonly LayerRule[] = [
  { layer: 'top', pathPrefix: 'x/top/', mayImport: ['bottom'] },
  { layer: 'bottom', pathPrefix: 'x/bottom/', mayImport: [] },
];

describe('the layering check', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'sightline-layers-'));
    await mkdir(path.join(root, 'x/top'), { recursive: true });
    await mkdir(path.join(root, 'x/bottom'), { recursive: true });
    await mkdir(path.join(root, 'x/stray'), { recursive: true });
    await writeFile(
      path.join(root, 'x/top/a.ts'),
      "import { b } from '../bottom/b.ts';\nexport const a = b;\n",
    );
    await writeFile(
      path.join(root, 'x/bottom/b.ts'),
      "import type { A } from '../top/a.ts';\nexport const b = 1;\nexport type B = A;\n",
    );
    await writeFile(
      path.join(root, 'x/bottom/c.ts'),
      "export * from './b.ts';\nawait import('../top/a.ts');\n",
    );
    await writeFile(path.join(root, 'x/stray/d.ts'), 'export const d = 1;\n');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('reads static, type-only, re-exported and dynamic imports', () => {
    expect(
      relativeImports(
        "import a from './a.ts';\nimport type { B } from '../b.ts';\nexport { c } from './c.ts';\nimport './d.ts';\nconst e = await import('./e.ts');\nimport x from 'lit';",
      ),
    ).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts']);
  });

  it('reports imports that run upward and files no layer claims, and nothing else', () => {
    const violations = findViolations(root, sourceFiles(root, 'x'), RULES);
    expect(violations.map((v) => [v.file, v.imported])).toEqual([
      ['x/bottom/b.ts', 'x/top/a.ts'],
      ['x/bottom/c.ts', 'x/top/a.ts'],
      ['x/stray/d.ts', ''],
    ]);
  });
});
