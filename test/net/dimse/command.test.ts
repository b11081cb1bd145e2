/**
 * Command sets (PS3.7 E.1-1), Implicit VR Little Endian with the group length first: byte fixtures, the
 * direct encoder against the Dataset-based one, and decoding back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dataset } from '../../../src/dicom/dataset.js';
import { type Command, CommandField, decodeCommand, encodeCommand } from '../../../src/net/dimse/command.js';

const SAMPLES: Command[] = [
  {
    commandField: CommandField.C_ECHO_RQ,
    messageId: 1,
    affectedSopClassUid: '1.2.840.10008.1.1',
    hasDataSet: false,
  },
  {
    commandField: CommandField.C_STORE_RQ,
    messageId: 65535,
    affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    affectedSopInstanceUid: '2.25.12345678901234567890',
    priority: 0,
    hasDataSet: true,
    moveOriginatorApplicationEntityTitle: 'MOVESCU',
    moveOriginatorMessageId: 7,
  },
  {
    commandField: 0x8021,
    messageIdBeingRespondedTo: 3,
    affectedSopClassUid: '1.2.840.10008.5.1.4.1.2.2.2',
    status: 0xb000,
    numberOfRemainingSuboperations: 0,
    numberOfCompletedSuboperations: 48,
    numberOfFailedSuboperations: 2,
    numberOfWarningSuboperations: 0,
    errorComment: 'odd',
    offendingElement: [0x00100020, 0x0020000d],
    hasDataSet: true,
  },
];

describe('command sets', () => {
  it('encodes a C-ECHO-RQ to the exact bytes of PS3.7 (group length, tag order, UI padded with NUL)', () => {
    const bytes = encodeCommand(SAMPLES[0]!);
    const hex = bytes.toString('hex');
    // (0000,0000) UL 4 = length of the rest
    assert.equal(
      hex.slice(0, 24),
      `0000000004000000${(bytes.length - 12).toString(16).padStart(2, '0')}000000`,
    );
    // (0000,0002) UI "1.2.840.10008.1.1" + NUL (18 bytes)
    assert.equal(hex.slice(24, 40), '0000020012000000');
    assert.equal(bytes.subarray(20, 38).toString('latin1'), '1.2.840.10008.1.1\0');
    // (0000,0100) US 0x0030, (0000,0110) US 1, (0000,0800) US 0x0101
    assert.equal(hex.slice(76), '00000001020000003000' + '00001001020000000100' + '00000008020000000101');
  });

  it('the direct encoder writes what the Dataset-based one writes', () => {
    for (const cmd of SAMPLES)
      assert.deepEqual(
        encodeCommand(cmd),
        encodeCommand({ ...cmd, extra: new Dataset() }),
        JSON.stringify(cmd),
      );
  });

  it('decodes back to the same fields', () => {
    for (const cmd of SAMPLES) {
      const back = decodeCommand(encodeCommand(cmd));
      for (const [k, v] of Object.entries(cmd)) assert.deepEqual(back[k as keyof Command], v, k);
    }
  });
});
