// The built package (dist/) as a consumer meets it: its files and what they import, and a folder
// of its own whose node_modules holds larder (the repository) and the peers asked for.
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './run.js';

export const DIST = join(ROOT, 'dist');

/** Every .js file under `dir`. */
export function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? jsFiles(join(dir, entry.name))
      : entry.name.endsWith('.js')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The specifiers a built file imports, comments left out (TSDoc examples show imports too). */
export function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [
    ...source.matchAll(
      /(?:^|\s)(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/gm,
    ),
  ].map((match) => match[1] ?? match[2]!);
}

/**
 * A new consumer folder (under the OS's temporary folder, named from `prefix`) whose node_modules
 * links larder to this repository and each of `peers` to this repository's installed copy.
 */
export async function consumerFolder(prefix: string, peers: readonly string[] = []): Promise<string> {
  const consumer = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(consumer, 'node_modules'));
  for (const name of peers) {
    await symlink(join(ROOT, 'node_modules', name), join(consumer, 'node_modules', name), 'dir');
  }
  await symlink(ROOT, join(consumer, 'node_modules', 'larder'), 'dir');
  return consumer;
}
