import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompressionModeError,
  modeForAcceptedTransferSyntax,
  parseCompressionMode,
} from '../../src/codecs/modes.js';

const IMPLICIT = '1.2.840.10008.1.2';
const TS = (n: number): string => `1.2.840.10008.1.2.4.${n}`;

/** [string, kind, target transfer syntax, lossy, extra expectations] */
const TABLE: readonly [string, string, string | undefined, boolean, Record<string, unknown>][] = [
  ['as', 'as-is', undefined, false, {}],
  ['is', 'as-is', undefined, false, {}],
  ['', 'as-is', undefined, false, {}],
  ['un', 'uncompressed', undefined, false, {}],
  ['ul', 'uncompressed', '1.2.840.10008.1.2.1', false, { proposed: ['1.2.840.10008.1.2.1', IMPLICIT] }],
  ['ub', 'uncompressed', '1.2.840.10008.1.2.2', false, { proposed: ['1.2.840.10008.1.2.2', IMPLICIT] }],
  [
    'ue',
    'uncompressed',
    '1.2.840.10008.1.2.1',
    false,
    { proposed: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', IMPLICIT] },
  ],
  ['n1', 'nki', undefined, false, { nkiMode: 1 }],
  ['n2', 'nki', undefined, false, { nkiMode: 2 }],
  ['n3', 'nki', undefined, false, { nkiMode: 3 }],
  ['n4', 'nki', undefined, false, { nkiMode: 4 }],
  ['nj', 'nki-unless-jpeg', undefined, false, { nkiMode: 4 }],
  ['uj', 'uncompressed-unless-jpeg', undefined, false, {}],
  ['j1', 'jpeg', TS(70), false, { proposed: [TS(57), TS(70), IMPLICIT] }],
  ['j2', 'jpeg', TS(57), false, { proposed: [TS(57), TS(70), IMPLICIT] }],
  ['j3', 'jpeg', TS(50), true, { quality: 95, proposed: [TS(51), TS(50), IMPLICIT] }],
  ['j4', 'jpeg', TS(51), true, { quality: 95 }],
  ['j5', 'jpeg', TS(53), true, { quality: 95, proposed: [TS(53), TS(51), TS(50), IMPLICIT] }],
  ['j6', 'jpeg', TS(55), true, { quality: 95 }],
  ['j370', 'jpeg', TS(50), true, { quality: 70, qualityOverride: 70 }],
  ['j480', 'jpeg', TS(51), true, { quality: 80, qualityOverride: 80 }],
  ['j590', 'jpeg', TS(53), true, { quality: 90, qualityOverride: 90 }],
  ['j660', 'jpeg', TS(55), true, { quality: 60, qualityOverride: 60 }],
  ['js', 'jpeg', TS(80), false, { proposed: [TS(80), IMPLICIT] }],
  ['j7', 'jpeg', TS(81), true, { quality: undefined, proposed: [TS(81), TS(80), IMPLICIT] }],
  ['j710', 'jpeg', TS(81), true, { quality: 10, qualityOverride: 10 }],
  ['jk', 'jpeg', TS(90), false, { proposed: [TS(90), IMPLICIT] }],
  ['jl', 'jpeg', TS(91), true, { quality: undefined, proposed: [TS(91), TS(90), IMPLICIT] }],
  ['jl5', 'jpeg', TS(91), true, { quality: 5, qualityOverride: 5 }],
  ['k1', 'downsize', undefined, false, { downsizeTo: 1024 }],
  ['k2', 'downsize', undefined, false, { downsizeTo: 512 }],
  ['k4', 'downsize', undefined, false, { downsizeTo: 256 }],
  ['k8', 'downsize', undefined, false, { downsizeTo: 128 }],
  ['ka', 'downsize', undefined, false, { downsizeTo: 64 }],
  ['kb', 'downsize', undefined, false, { downsizeTo: 32 }],
  ['kc', 'downsize', undefined, false, { downsizeTo: 16 }],
  ...[...Array(10).keys()].map(
    (n) =>
      [`s${n}`, 'converter', undefined, false, { converter: n }] as [
        string,
        string,
        undefined,
        boolean,
        Record<string, unknown>,
      ],
  ),
  ['vX', 'discard', undefined, false, {}],
];

describe('parseCompressionMode', () => {
  for (const [text, kind, uid, lossy, extra] of TABLE) {
    it(`'${text}' and '${text.toUpperCase()}'`, () => {
      for (const variant of [text, text.toUpperCase()]) {
        const m = parseCompressionMode(variant);
        assert.equal(m.kind, kind);
        assert.equal(m.transferSyntaxUid, uid);
        assert.equal(m.lossy, lossy);
        assert.equal(m.text, variant);
        if ('nkiMode' in extra) assert.equal(m.nkiMode, extra['nkiMode']);
        if ('quality' in extra) assert.equal(m.quality, extra['quality']);
        if ('qualityOverride' in extra) assert.equal(m.qualityOverride, extra['qualityOverride']);
        else assert.equal(m.qualityOverride, undefined);
        if ('downsizeTo' in extra) assert.equal(m.downsizeTo, extra['downsizeTo']);
        if ('converter' in extra) assert.equal(m.converter, extra['converter']);
        if ('proposed' in extra) assert.deepEqual(m.proposedTransferSyntaxUids, extra['proposed']);
        if (!lossy) assert.equal(m.quality, undefined);
      }
    });
  }

  it('uses the configured LossyQuality when no NN is given', () => {
    assert.equal(parseCompressionMode('j4', 80).quality, 80);
    assert.equal(parseCompressionMode('j460', 80).quality, 60);
  });

  it('a trailing ! drops the Implicit VR Little Endian fallback', () => {
    const m = parseCompressionMode('JK!');
    assert.equal(m.noUncompressedFallback, true);
    assert.deepEqual(m.proposedTransferSyntaxUids, [TS(90)]);
    assert.equal(parseCompressionMode('jk').noUncompressedFallback, false);
  });

  it('unknown strings throw a CompressionModeError naming them', () => {
    for (const bad of [
      'xx',
      'n5',
      'n0',
      'k3',
      'kd',
      'j8',
      'j195',
      'js50',
      'jk20',
      'j3abc',
      'j3101',
      's',
      'sa',
      'u',
      'unx',
    ]) {
      assert.throws(
        () => parseCompressionMode(bad),
        (e: unknown) =>
          e instanceof CompressionModeError && e.modeText === bad && e.message.includes(`'${bad}'`),
        bad,
      );
    }
  });
});

describe('modeForAcceptedTransferSyntax (GetAcceptedCompressionType)', () => {
  it('maps transfer syntaxes back to mode strings', () => {
    assert.equal(modeForAcceptedTransferSyntax(TS(70)), 'j1');
    assert.equal(modeForAcceptedTransferSyntax(TS(91)), 'jl');
    assert.equal(modeForAcceptedTransferSyntax('1.2.840.10008.1.2.1'), 'ul');
    assert.equal(modeForAcceptedTransferSyntax(IMPLICIT), 'ui');
    assert.equal(modeForAcceptedTransferSyntax('1.2.840.10008.1.2.5'), 'un');
  });
});
