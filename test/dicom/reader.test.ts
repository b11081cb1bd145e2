import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DicomParseError } from '../../src/dicom/errors.js';
import {
  DicomStreamReader,
  loadBulkData,
  parseDicom,
  readDicomFile,
  readDicomFileSync,
} from '../../src/dicom/reader.js';
import {
  element,
  item,
  part10,
  sequence,
  sequenceDelimiter,
  text,
  UNDEFINED_LENGTH,
} from '../support/fixtures.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';

function expectParseError(buf: Buffer, pattern: RegExp, options = {}): DicomParseError {
  let caught: unknown;
  try {
    parseDicom(buf, options);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DicomParseError, `expected DicomParseError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('reader: Part 10 files', () => {
  it('reads preamble, meta group and an Explicit VR LE data set', () => {
    const ds = Buffer.concat([
      element(0x00080060, 'CS', 'CT'),
      element(0x00100010, 'PN', text('Doe^John')),
      element(0x00280010, 'US', Buffer.from([0x00, 0x02])),
    ]);
    const file = parseDicom(part10(ds, EXPLICIT_LE));
    assert.equal(file.preamble?.length, 128);
    assert.equal(file.transferSyntax.uid, EXPLICIT_LE);
    assert.equal(file.meta.string(0x00020010), EXPLICIT_LE);
    assert.equal(file.dataset.string('Modality'), 'CT');
    assert.equal(file.dataset.string('PatientName'), 'Doe^John');
    assert.equal(file.dataset.number('Rows'), 512);
    assert.deepEqual(file.warnings, []);
  });

  it('reads Implicit VR LE with VRs from the dictionary', () => {
    const ds = Buffer.concat([
      element(0x00100010, 'PN', text('A^B'), { explicit: false }),
      element(0x00280103, 'US', Buffer.from([1, 0]), { explicit: false }),
      element(0x00280106, 'US', Buffer.from([0xff, 0xff]), { explicit: false }),
    ]);
    const file = parseDicom(part10(ds, IMPLICIT_LE));
    assert.equal(file.dataset.get('PatientName')?.vr, 'PN');
    // 'US or SS' resolves by Pixel Representation (1 = signed).
    assert.equal(file.dataset.get('SmallestImagePixelValue')?.vr, 'SS');
    assert.equal(file.dataset.number('SmallestImagePixelValue'), -1);
  });

  it('reads Explicit VR Big Endian values in their byte order', () => {
    const ds = Buffer.concat([
      element(0x00280010, 'US', Buffer.from([0x02, 0x00]), { littleEndian: false }),
      element(0x00280030, 'DS', text('0.5\\0.25'), { littleEndian: false }),
    ]);
    const file = parseDicom(part10(ds, EXPLICIT_BE));
    assert.equal(file.dataset.littleEndian, false);
    assert.equal(file.dataset.number('Rows'), 512);
    assert.deepEqual(file.dataset.numbers('PixelSpacing'), [0.5, 0.25]);
  });

  it('reads raw data sets without preamble (Conquest .v2 files are raw Implicit VR LE)', () => {
    const implicit = Buffer.concat([
      element(0x00080060, 'CS', 'MR', { explicit: false }),
      element(0x00100020, 'LO', text('123'), { explicit: false }),
    ]);
    const a = parseDicom(implicit);
    assert.equal(a.preamble, undefined);
    assert.equal(a.transferSyntax.uid, IMPLICIT_LE);
    assert.equal(a.dataset.string('PatientID'), '123');
    const explicit = Buffer.concat([element(0x00080060, 'CS', 'MR'), element(0x00100020, 'LO', text('123'))]);
    assert.equal(parseDicom(explicit).transferSyntax.uid, EXPLICIT_LE);
  });

  it('rejects input that is not DICOM, naming the problem', () => {
    expectParseError(Buffer.alloc(0), /empty input/);
    expectParseError(Buffer.from('This is a plain text file, not DICOM at all.\n'), /not a DICOM file/);
  });
});

describe('reader: sequences and items', () => {
  const inner = Buffer.concat([
    element(0x00081150, 'UI', text('1.2.3', '\0')),
    element(0x00081155, 'UI', text('4.5.6', '\0')),
  ]);

  for (const [name, seq] of [
    ['defined lengths', sequence(0x00081140, [item(inner), item(inner)])],
    [
      'undefined lengths',
      sequence(0x00081140, [item(inner, { undefinedLength: true }), item(inner, { undefinedLength: true })], {
        undefinedLength: true,
      }),
    ],
  ] as const) {
    it(`reads items of ${name}`, () => {
      const file = parseDicom(
        Buffer.concat([element(0x00080060, 'CS', 'CT'), seq, element(0x00100010, 'PN', 'X^')]),
      );
      const items = file.dataset.sequence('ReferencedImageSequence');
      assert.equal(items.length, 2);
      assert.equal(items[1]!.string('ReferencedSOPInstanceUID'), '4.5.6');
      assert.equal(items[0]!.parent, file.dataset);
      assert.equal(file.dataset.string('PatientName'), 'X^');
    });
  }

  it('reads empty sequences and empty items', () => {
    const file = parseDicom(
      Buffer.concat([
        sequence(0x00081140, []),
        sequence(0x00081150 + 0x10, [], { undefinedLength: true }),
        sequence(0x00082112, [item(Buffer.alloc(0)), item(Buffer.alloc(0), { undefinedLength: true })], {
          undefinedLength: true,
        }),
      ]),
    );
    assert.equal(file.dataset.sequence(0x00081140).length, 0);
    assert.equal(file.dataset.sequence(0x00082112).length, 2);
  });

  it('reads UN of undefined length as an Implicit VR LE sequence (PS3.5 6.2.2)', () => {
    const implicitItem = item(element(0x00081150, 'UI', text('1.2.3', '\0'), { explicit: false }), {
      undefinedLength: true,
    });
    const un = Buffer.concat([
      element(0x00081140, 'UN', Buffer.alloc(0), { length: UNDEFINED_LENGTH }),
      implicitItem,
      sequenceDelimiter(),
    ]);
    const file = parseDicom(Buffer.concat([element(0x00080060, 'CS', 'CT'), un]));
    const el = file.dataset.get(0x00081140)!;
    assert.equal(el.vr, 'SQ');
    assert.equal(el.readAsUN, true);
    assert.equal(el.items![0]!.string('ReferencedSOPClassUID'), '1.2.3');
  });

  it('reads encapsulated pixel data: offset table and fragments', () => {
    const frag = (n: number, fill: number): Buffer => item(Buffer.alloc(n, fill));
    const pixel = Buffer.concat([
      element(0x7fe00010, 'OB', Buffer.alloc(0), { length: UNDEFINED_LENGTH }),
      item(Buffer.alloc(0)),
      frag(10, 1),
      frag(6, 2),
      sequenceDelimiter(),
    ]);
    const file = parseDicom(
      part10(Buffer.concat([element(0x00280010, 'US', Buffer.from([1, 0])), pixel]), JPEG_LOSSLESS),
    );
    const el = file.dataset.get('PixelData')!;
    assert.equal(el.fragments!.length, 3);
    assert.equal(el.fragments![0]!.length, 0);
    assert.deepEqual([...el.fragments![2]!], [2, 2, 2, 2, 2, 2]);
  });

  it('rejects an item that overruns its sequence', () => {
    const bad = Buffer.concat([
      element(0x00081140, 'SQ', item(Buffer.alloc(40)).subarray(0, 20), { length: 20 }),
      Buffer.alloc(40),
    ]);
    expectParseError(bad, /runs past the end/);
  });

  it('rejects a sequence that never ends and an item that never ends', () => {
    expectParseError(
      Buffer.concat([
        element(0x00081140, 'SQ', Buffer.alloc(0), { length: UNDEFINED_LENGTH }),
        item(Buffer.alloc(0)),
      ]),
      /inside a sequence/,
    );
    const head = Buffer.concat([element(0x00081140, 'SQ', Buffer.alloc(0), { length: UNDEFINED_LENGTH })]);
    const openItem = item(element(0x00081150, 'UI', text('1.2', '\0')), { undefinedLength: true }).subarray(
      0,
      -8,
    );
    expectParseError(Buffer.concat([head, openItem]), /inside a sequence item/);
  });

  it('bounds nesting depth with a clear error instead of overflowing the stack', () => {
    let body = element(0x00100010, 'PN', 'A^');
    for (let i = 0; i < 300; i++)
      body = sequence(0x0040a730, [item(body, { undefinedLength: true })], { undefinedLength: true });
    expectParseError(body, /nesting too deep/);
    // Within the limit, the same structure reads.
    assert.ok(parseDicom(body, { maxDepth: 400 }).dataset.has(0x0040a730));
  });
});

describe('reader: lengths are never trusted', () => {
  it('rejects a value longer than the input without allocating it', () => {
    const bad = Buffer.concat([
      element(0x00080060, 'CS', 'CT'),
      element(0x00091001, 'OB', Buffer.alloc(16), { length: 0xfffffff0 }),
    ]);
    const err = expectParseError(bad, /exceeds the \d+ bytes left/);
    assert.equal(err.offset, 10);
    assert.equal(err.tag, 0x00091001);
  });

  it('rejects undefined length on a non-sequence element', () => {
    expectParseError(
      element(0x00081030, 'UT', Buffer.alloc(0), { length: UNDEFINED_LENGTH }),
      /undefined length on a UT/,
    );
  });

  it('rejects undefined-length Pixel Data in a native syntax', () => {
    const ds = Buffer.concat([
      element(0x7fe00010, 'OW', Buffer.alloc(0), { length: UNDEFINED_LENGTH }),
      item(Buffer.alloc(4)),
      sequenceDelimiter(),
    ]);
    expectParseError(part10(ds, EXPLICIT_LE), /native/);
  });

  it('rejects an unknown transfer syntax', () => {
    expectParseError(part10(element(0x00080060, 'CS', 'CT'), '1.2.3.4.5.6.7.8.9'), /unknown transfer syntax/);
  });

  it('reports a file cut inside an element header and inside a value', () => {
    const full = part10(
      Buffer.concat([element(0x00080060, 'CS', 'CT'), element(0x00204000, 'LT', Buffer.alloc(264, 0x41))]),
      EXPLICIT_LE,
    );
    expectParseError(full.subarray(0, full.length - 200), /bytes left|ends inside a value/);
    expectParseError(full.subarray(0, full.length - 264 - 6), /element header/);
  });
});

describe('reader: early stop, streaming and bulk data', () => {
  const pixels = Buffer.alloc(300_000, 7);
  const ds = Buffer.concat([
    element(0x00080060, 'CS', 'CT'),
    element(0x00100010, 'PN', text('Doe^Jane')),
    element(0x00280010, 'US', Buffer.from([0x10, 0x00])),
    element(0x7fe00010, 'OW', pixels),
    element(0xfffafffa, 'SQ', Buffer.alloc(0)),
  ]);
  const file = part10(ds, EXPLICIT_LE);

  it('stops before a tag (header-only read)', () => {
    const f = parseDicom(file, { stopBeforeTag: 0x7fe00010 });
    assert.equal(f.stoppedAt, 0x7fe00010);
    assert.equal(f.dataset.has('PixelData'), false);
    assert.equal(f.dataset.string('PatientName'), 'Doe^Jane');
  });

  it('stops after a tag', () => {
    const f = parseDicom(file, { untilTag: 0x00100010 });
    assert.deepEqual(f.dataset.tags(), [0x00080060, 0x00100010]);
  });

  it('gives the same data set from chunks of any size as from one buffer', () => {
    const whole = parseDicom(file);
    for (const size of [1, 7, 64, 4096, 65536]) {
      const reader = new DicomStreamReader();
      for (let i = 0; i < file.length; i += size) reader.push(file.subarray(i, i + size));
      const streamed = reader.end();
      assert.deepEqual(streamed.dataset.tags(), whole.dataset.tags(), `chunk size ${size}`);
      assert.ok(streamed.dataset.bytes('PixelData')!.equals(pixels));
    }
  });

  it('leaves large values in the file and loads them on demand', async (t) => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'cq-reader-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'f.dcm');
    writeFileSync(path, file);
    for (const read of [readDicomFileSync, readDicomFile]) {
      const f = await read(path, { bulkDataThreshold: 1024 });
      const el = f.dataset.get('PixelData')!;
      assert.equal(el.bytes, undefined);
      assert.deepEqual(el.bulk, { offset: file.length - pixels.length - 12, length: pixels.length, path });
      loadBulkData(f.dataset);
      assert.ok(f.dataset.bytes('PixelData')!.equals(pixels));
    }
  });

  it('reads a file from disk the same as from memory', async (t) => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'cq-reader-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'f.dcm');
    writeFileSync(path, file);
    const f = await readDicomFile(path);
    assert.deepEqual(f.dataset.tags(), parseDicom(readFileSync(path)).dataset.tags());
  });
});

describe('reader: lenient where the standard allows it', () => {
  it('keeps the first of two duplicate elements and says so', () => {
    const f = parseDicom(Buffer.concat([element(0x00100010, 'PN', 'A^'), element(0x00100010, 'PN', 'B^')]));
    assert.equal(f.dataset.string('PatientName'), 'A^');
    assert.match(f.warnings.join(), /duplicate element \(0010,0010\)/);
  });

  it('skips a stray delimiter at the top level with a warning', () => {
    const f = parseDicom(
      Buffer.concat([element(0x00080060, 'CS', 'CT'), sequenceDelimiter(), element(0x00100010, 'PN', 'A^')]),
    );
    assert.equal(f.dataset.string('PatientName'), 'A^');
    assert.match(f.warnings.join(), /stray delimitation/);
  });

  it('reads a data set whose meta header names the wrong native syntax', () => {
    const implicit = Buffer.concat([
      element(0x00080060, 'CS', 'CT', { explicit: false }),
      element(0x00100010, 'PN', 'A^', { explicit: false }),
    ]);
    const f = parseDicom(part10(implicit, EXPLICIT_LE));
    assert.equal(f.transferSyntax.uid, IMPLICIT_LE);
    assert.equal(f.dataset.string('PatientName'), 'A^');
    assert.match(f.warnings.join(), /meta information says/);
  });
});
