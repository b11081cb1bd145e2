/**
 * Bounded fuzzing of the reader: random byte mutations, insertions and truncations of corpus files (and of
 * a generated file when the corpus is absent). Every outcome must be a data set or a DicomParseError —
 * never another exception, a hang or a runaway allocation. Seeds are fixed so a failure can be replayed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DicomParseError } from '../../src/dicom/errors.js';
import { DicomStreamReader, parseDicom } from '../../src/dicom/reader.js';
import { corpusAvailable, corpusPath, validCorpusFiles } from '../support/corpus.js';
import { element, item, part10, prng, sequence, text } from '../support/fixtures.js';

const CASES = 4000;

function seeds(): Buffer[] {
  const generated = part10(
    Buffer.concat([
      element(0x00080005, 'CS', 'ISO_IR 100'),
      element(0x00100010, 'PN', text('Müller^Jürgen')),
      sequence(
        0x00081140,
        [item(element(0x00081155, 'UI', text('1.2.3', '\0')), { undefinedLength: true })],
        { undefinedLength: true },
      ),
      element(0x00280010, 'US', Buffer.from([4, 0])),
      element(0x7fe00010, 'OW', Buffer.alloc(32, 3)),
    ]),
    '1.2.840.10008.1.2.1',
  );
  if (!corpusAvailable) return [generated];
  const picked = validCorpusFiles()
    .filter((e) => e.fileSize < 200_000)
    .filter((_, i) => i % 7 === 0)
    .map((e) => readFileSync(corpusPath(e)));
  return [generated, ...picked];
}

function mutate(src: Buffer, rnd: () => number): Buffer {
  const buf = Buffer.from(src);
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) return buf.subarray(0, Math.floor(rnd() * buf.length));
  if (kind === 1) {
    // Overwrite a length-like field with an extreme value.
    const at = Math.floor(rnd() * Math.max(1, buf.length - 4));
    buf.writeUInt32LE([0xffffffff, 0xfffffff0, 0x7fffffff, 0x10000, 0][Math.floor(rnd() * 5)]!, at);
    return buf;
  }
  if (kind === 2) {
    const at = Math.floor(rnd() * buf.length);
    const junk = Buffer.alloc(1 + Math.floor(rnd() * 16));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256);
    return Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]);
  }
  const flips = 1 + Math.floor(rnd() * 8);
  for (let i = 0; i < flips; i++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
  return buf;
}

function outcome(input: Buffer, streamed: boolean): 'ok' | 'error' {
  try {
    if (streamed) {
      const r = new DicomStreamReader();
      for (let i = 0; i < input.length; i += 512) r.push(input.subarray(i, i + 512));
      r.end();
    } else parseDicom(input);
    return 'ok';
  } catch (e) {
    if (e instanceof DicomParseError) return 'error';
    throw e;
  }
}

describe('reader fuzz', () => {
  it(`${CASES} mutated inputs end in a data set or a DicomParseError`, (t) => {
    if (!corpusAvailable) t.diagnostic('corpus absent: fuzzing a generated file only');
    const inputs = seeds();
    const rnd = prng(20261203);
    const counts = { ok: 0, error: 0 };
    const started = performance.now();
    for (let i = 0; i < CASES; i++) {
      const input = mutate(inputs[i % inputs.length]!, rnd);
      let result: 'ok' | 'error';
      try {
        result = outcome(input, i % 5 === 0);
      } catch (e) {
        assert.fail(`case ${i}: ${(e as Error).stack}`);
      }
      counts[result]++;
    }
    t.diagnostic(
      `${counts.ok} parsed, ${counts.error} refused, ${(performance.now() - started).toFixed(0)} ms`,
    );
    assert.ok(counts.error > 0 && counts.ok > 0);
  });
});
