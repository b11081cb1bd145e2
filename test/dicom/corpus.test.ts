/**
 * The reader and writer over every file of the shared corpus: valid files parse, re-write byte-identically
 * in their own syntax, convert to every other native syntax and read back equal (and DCMTK's dcmdump reads
 * what we wrote); every bad file either parses or fails with a DicomParseError that names the problem.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import { DicomParseError } from '../../src/dicom/errors.js';
import { DicomStreamReader, parseDicom, readDicomFileSync } from '../../src/dicom/reader.js';
import {
  DeflatedExplicitVRLittleEndian,
  ExplicitVRBigEndian,
  ExplicitVRLittleEndian,
  ImplicitVRLittleEndian,
} from '../../src/dicom/transfer-syntax.js';
import { writeDataset, writeDicomFile } from '../../src/dicom/writer.js';
import { canonical } from '../support/canonical.js';
import { CORPUS_SKIP, corpusManifest, corpusPath, validCorpusFiles } from '../support/corpus.js';

const NATIVE = [
  ImplicitVRLittleEndian,
  ExplicitVRLittleEndian,
  ExplicitVRBigEndian,
  DeflatedExplicitVRLittleEndian,
];

function hasDcmdump(): boolean {
  try {
    execFileSync('dcmdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('corpus: valid files', { skip: CORPUS_SKIP }, () => {
  const files = CORPUS_SKIP ? [] : validCorpusFiles();

  it('every valid file parses, from a buffer, from disk and from a stream, to the same data set', () => {
    assert.ok(files.length > 300, `only ${files.length} valid corpus files`);
    for (const entry of files) {
      const bytes = readFileSync(corpusPath(entry));
      const file = parseDicom(bytes);
      assert.equal(file.transferSyntax.uid, entry.transferSyntaxUid || file.transferSyntax.uid, entry.path);
      const fromDisk = readDicomFileSync(corpusPath(entry));
      const stream = new DicomStreamReader();
      for (let i = 0; i < bytes.length; i += 997) stream.push(bytes.subarray(i, i + 997));
      const streamed = stream.end();
      const want = canonical(file.dataset);
      assert.deepEqual(canonical(fromDisk.dataset), want, `${entry.path}: disk read differs`);
      assert.deepEqual(canonical(streamed.dataset), want, `${entry.path}: streamed read differs`);
    }
  });

  it('re-writing an unmodified data set in its own syntax is byte-identical', () => {
    let compared = 0;
    for (const entry of files) {
      const bytes = readFileSync(corpusPath(entry));
      const file = parseDicom(bytes);
      if (file.warnings.length) continue; // lenient reads (e.g. corrected syntax) cannot round-trip exactly
      const original = bytes.subarray(file.datasetOffset);
      const written = writeDataset(file.dataset, file.transferSyntax);
      if (file.transferSyntax.deflated) {
        // Deflate output depends on the compressor: compare the inflated streams.
        assert.ok(
          inflateRawSync(written).equals(inflateRawSync(original)),
          `${entry.path}: inflated data set differs`,
        );
      } else {
        assert.ok(
          written.equals(original),
          `${entry.path}: data set differs (${written.length} vs ${original.length} bytes)`,
        );
        if (file.preamble) {
          const whole = writeDicomFile(file.meta, file.dataset, file.transferSyntax, {
            keepMeta: true,
            preamble: file.preamble,
          });
          // Files whose meta group length is wrong on purpose are the only ones allowed to differ.
          if (!entry.exercises.includes('group length'))
            assert.ok(whole.equals(bytes), `${entry.path}: whole file differs`);
        }
      }
      compared++;
    }
    assert.ok(compared > 300, `only ${compared} files compared`);
  });

  it('converts between native syntaxes and reads back the same data set; dcmdump reads our output', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-corpus-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const written: string[] = [];
    for (const entry of files) {
      const file = parseDicom(readFileSync(corpusPath(entry)));
      if (file.transferSyntax.encapsulated) continue;
      const want = canonical(file.dataset, { looseVR: true });
      for (const ts of NATIVE) {
        if (ts.uid === file.transferSyntax.uid) continue;
        const out = writeDicomFile(file.meta, file.dataset, ts);
        const back = parseDicom(out);
        assert.equal(back.transferSyntax.uid, ts.uid);
        if (ts === ImplicitVRLittleEndian) {
          // Implicit VR drops VRs: a UN value may come back as the sequence the dictionary says it is. The read
          // must still hold the same bytes, and the same elements.
          assert.ok(
            writeDataset(back.dataset, ts).equals(writeDataset(file.dataset, ts)),
            `${entry.path} → ${ts.name}`,
          );
          assert.deepEqual(back.dataset.tags(), file.dataset.tags(), `${entry.path} → ${ts.name}`);
        } else
          assert.deepEqual(canonical(back.dataset, { looseVR: true }), want, `${entry.path} → ${ts.name}`);
        if (written.length < 400 && (ts !== ImplicitVRLittleEndian || entry.category === 'edge')) {
          const path = join(dir, `${written.length}.dcm`);
          writeFileSync(path, out);
          written.push(path);
        }
      }
    }
    if (!hasDcmdump()) {
      t.diagnostic('dcmdump not installed: DCMTK check of the converted files skipped');
      return;
    }
    for (let i = 0; i < written.length; i += 100) {
      const batch = written.slice(i, i + 100);
      // -q: errors only; a file dcmdump cannot read makes it exit non-zero and print "E:" lines.
      const res = spawnSync('dcmdump', ['-q', ...batch], {
        encoding: 'utf8',
        stdio: ['ignore', 'ignore', 'pipe'],
        maxBuffer: 64 << 20,
      });
      assert.equal(res.status, 0, res.stderr);
      assert.doesNotMatch(res.stderr, /E: /);
    }
  });
});

/** Bad files that must be refused by the reader itself (the rest are for the storage layer to judge). */
const MUST_FAIL = new Map<string, RegExp>([
  ['bad/dicm_then_garbage.dcm', /./],
  ['bad/empty_0byte.dcm', /empty input/],
  ['bad/huge_item_length.dcm', /length/],
  ['bad/huge_length_fffffff0.dcm', /exceeds/],
  ['bad/item_longer_than_sequence.dcm', /runs past the end/],
  ['bad/item_never_ends.dcm', /ends inside/],
  ['bad/item_tag_missing_in_sequence.dcm', /expected an Item/],
  ['bad/length_exceeds_file.dcm', /exceeds/],
  ['bad/length_exceeds_file_short_vr.dcm', /./],
  ['bad/native_pixel_undefined_length.dcm', /native/],
  ['bad/nested_10000_defined_length_implicit.dcm', /nesting too deep/],
  ['bad/nested_10000_undefined_length.dcm', /nesting too deep/],
  ['bad/not_dicom.png', /not a DICOM file/],
  ['bad/not_dicom.txt', /not a DICOM file/],
  ['bad/not_dicom_text_named.dcm', /not a DICOM file/],
  ['bad/seq_never_ends.dcm', /ends inside a sequence/],
  ['bad/truncated_in_meta.dcm', /meta information/],
  ['bad/truncated_mid_element.dcm', /./],
  ['bad/truncated_mid_pixeldata.dcm', /./],
  ['bad/truncated_mid_tag.dcm', /element header/],
  ['bad/ts_meta_deflate_data_plain.dcm', /inflated/],
  ['bad/ts_meta_jpeg_data_native.dcm', /encapsulated/],
  ['bad/ts_meta_unknown_uid.dcm', /unknown transfer syntax/],
  ['bad/undefined_length_non_sq.dcm', /undefined length on a UT/],
]);

/** Bad files the MANIFEST calls valid input (accept), which must parse. */
const MUST_PARSE = [
  'bad/no_preamble_raw_explicit.dcm',
  'bad/no_preamble_raw_implicit.dcm',
  'bad/meta_sop_instance_mismatch.dcm',
];

describe('corpus: bad files', { skip: CORPUS_SKIP }, () => {
  const bad = CORPUS_SKIP ? [] : corpusManifest().filter((e) => e.path.startsWith('bad/'));

  it('each bad file parses or fails with a DicomParseError naming the problem and the offset', () => {
    assert.ok(bad.length >= 50);
    for (const entry of bad) {
      const bytes = readFileSync(corpusPath(entry));
      const started = performance.now();
      let error: unknown;
      try {
        parseDicom(bytes);
      } catch (e) {
        error = e;
      }
      const ms = performance.now() - started;
      assert.ok(ms < 2000, `${entry.path} took ${ms.toFixed(0)} ms`);
      const mustFail = MUST_FAIL.get(entry.path);
      if (error !== undefined) {
        assert.ok(error instanceof DicomParseError, `${entry.path}: ${String(error)}`);
        assert.match(error.message, /at byte \d+/);
        assert.ok(mustFail, `${entry.path} should parse but failed: ${error.message}`);
        assert.match(error.message, mustFail, entry.path);
      } else {
        assert.equal(mustFail, undefined, `${entry.path} should have been refused`);
      }
      if (MUST_PARSE.includes(entry.path)) assert.equal(error, undefined);
    }
  });

  it('the same bad files fail the same way when streamed', () => {
    for (const entry of bad) {
      const bytes = readFileSync(corpusPath(entry));
      const reader = new DicomStreamReader();
      let error: unknown;
      try {
        for (let i = 0; i < bytes.length; i += 4096) reader.push(bytes.subarray(i, i + 4096));
        reader.end();
      } catch (e) {
        error = e;
      }
      if (error !== undefined) assert.ok(error instanceof DicomParseError, `${entry.path}: ${String(error)}`);
      if (MUST_FAIL.has(entry.path)) assert.ok(error, `${entry.path} should fail when streamed too`);
    }
  });
});
