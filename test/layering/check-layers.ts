// Checks that imports only run downward: each source file may import only from its own layer and the
// layers its rule lists (see layers.ts for the browser's, server-layers.ts for the server's). Run by
// `npm run lint`; exits non-zero listing every import that runs upward, or a file no layer claims.
//
// Imports are read from the source text (static and dynamic imports, re-exports, `import type` too: a
// type is knowledge of the layer it comes from), and relative specifiers resolved to repository paths.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { LayerRule } from './layers.ts';

export interface Violation {
  readonly file: string;
  readonly imported: string;
  readonly message: string;
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s+['"]([^'"]+)['"]|(?:^|[\s;])import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every relative import of a source text, as written. */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier?.startsWith('.')) found.push(specifier);
  }
  return found;
}

/** The rule a repository path comes under: the one with the longest matching path prefix. */
export function layerOf(file: string, rules: readonly LayerRule[]): LayerRule | undefined {
  let best: LayerRule | undefined;
  for (const rule of rules) {
    if (file.startsWith(rule.pathPrefix) && rule.pathPrefix.length > (best?.pathPrefix.length ?? -1))
      best = rule;
  }
  return best;
}

/** The violations among `files` (repository paths, read from `root`). */
export function findViolations(
  root: string,
  files: readonly string[],
  rules: readonly LayerRule[],
): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const layer = layerOf(file, rules);
    if (!layer) {
      violations.push({
        file,
        imported: '',
        message: `${file} belongs to no layer: add it to a layer table`,
      });
      continue;
    }
    const source = readFileSync(path.join(root, file), 'utf8');
    for (const specifier of relativeImports(source)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      const targetLayer = layerOf(target, rules);
      if (!targetLayer) continue; // outside the checked trees (package code is never relative)
      if (targetLayer.layer === layer.layer || layer.mayImport.includes(targetLayer.layer)) continue;
      violations.push({
        file,
        imported: target,
        message: `${file} (${layer.layer}) imports ${target} (${targetLayer.layer}), which is not below it`,
      });
    }
  }
  return violations;
}

/** Every .ts file under `dir` (a repository path), as repository paths. */
export function sourceFiles(root: string, dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const file = `${dir}/${name}`;
    if (statSync(path.join(root, file)).isDirectory()) return sourceFiles(root, file);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [file] : [];
  });
}

// Run as a script: check src/ and server/ against their tables.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const { SRC_LAYERS } = await import('./layers.ts');
  const { SERVER_LAYERS } = await import('./server-layers.ts');
  const rules = [...SRC_LAYERS, ...SERVER_LAYERS];
  const files = [...sourceFiles(root, 'src'), ...sourceFiles(root, 'server')];
  const violations = findViolations(root, files, rules);
  for (const violation of violations) console.error(violation.message);
  if (violations.length > 0) {
    console.error(`\n${violations.length} import(s) run upward or are unplaced (test/layering/).`);
    process.exit(1);
  }
  console.log(`Layering: ${files.length} files, every import runs downward.`);
}
