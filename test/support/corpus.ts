/**
 * Access to the shared test corpus (../shared/testdata/corpus beside the repository). Tests that need it
 * skip with a visible message when it is absent, so that `npm test` passes on any fresh clone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const CORPUS_DIR = resolve(repoRoot(), '..', 'shared', 'testdata', 'corpus');
export const corpusAvailable = existsSync(join(CORPUS_DIR, 'MANIFEST.tsv'));
export const CORPUS_SKIP = corpusAvailable ? false : `test corpus not found at ${CORPUS_DIR}`;

export interface ManifestEntry {
  path: string;
  category: string;
  transferSyntaxUid: string;
  exercises: string;
  expected: string;
  pixelSha256: string;
  fileSha256: string;
  fileSize: number;
  [column: string]: string | number;
}

let manifest: ManifestEntry[] | undefined;

export function corpusManifest(): ManifestEntry[] {
  if (manifest) return manifest;
  const lines = readFileSync(join(CORPUS_DIR, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const head = lines[0]!.split('\t');
  manifest = lines.slice(1).map((line) => {
    const cols = line.split('\t');
    const row: Record<string, string> = {};
    head.forEach((h, i) => {
      row[h] = cols[i] ?? '';
    });
    return {
      ...row,
      path: row['path']!,
      category: row['category']!,
      transferSyntaxUid: row['transfer_syntax_uid']!,
      exercises: row['exercises']!,
      expected: row['expected_server_behaviour']!,
      pixelSha256: row['pixel_sha256']!,
      fileSha256: row['file_sha256']!,
      fileSize: Number(row['file_size']),
    };
  });
  return manifest;
}

/** Every file outside bad/: valid input that must parse. */
export function validCorpusFiles(): ManifestEntry[] {
  return corpusManifest().filter((e) => e.category !== 'bad' && !e.path.startsWith('bad/'));
}

export function corpusPath(entry: ManifestEntry | string): string {
  return join(CORPUS_DIR, typeof entry === 'string' ? entry : entry.path);
}
