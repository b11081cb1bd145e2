/**
 * Several messages written as one batch (Association.sendMany, used for C-FIND matches) still give each
 * message P-DATA-TF PDUs of its own. Regression: packing a batch into shared PDUs put the next message's
 * command in the previous one's PDU, and DCMTK's findscu then saw only the first match.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CommandField, encodeCommand } from '../../src/net/dimse/command.js';
import { encodePDataTf, encodePdu } from '../../src/net/pdu.js';
import { startTestScp, type TestScp } from '../support/scp.js';

const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

interface RawPdv {
  context: number;
  isCommand: boolean;
  isLast: boolean;
  length: number;
}

/** Reads PDUs off a socket: type and, for P-DATA-TF, its PDVs. */
function pduReader(socket: Socket): () => Promise<{ type: number; pdvs: RawPdv[] }> {
  let buf = Buffer.alloc(0);
  const waiting: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (const w of waiting.splice(0)) w();
  });
  return async () => {
    const until = Date.now() + 3000;
    while (buf.length < 6 || buf.length < 6 + buf.readUInt32BE(2)) {
      if (Date.now() > until) throw new Error('no complete PDU within 3 s');
      await new Promise<void>((r) => {
        waiting.push(r);
        setTimeout(r, 100);
      });
    }
    const type = buf[0]!;
    const length = buf.readUInt32BE(2);
    const body = buf.subarray(6, 6 + length);
    buf = buf.subarray(6 + length);
    const pdvs: RawPdv[] = [];
    if (type === 0x04)
      for (let at = 0; at < body.length; ) {
        const n = body.readUInt32BE(at);
        const control = body[at + 5]!;
        pdvs.push({
          context: body[at + 4]!,
          isCommand: (control & 1) === 1,
          isLast: (control & 2) === 2,
          length: n - 2,
        });
        at += 4 + n;
      }
    return { type, pdvs };
  };
}

describe('a batch of messages', () => {
  let scp: TestScp;
  before(async () => {
    scp = await startTestScp();
    // A C-ECHO answered with two messages in one batch: a data-bearing one, then a plain one.
    scp.server.handle(CommandField.C_ECHO_RQ, (req) =>
      req.respondMany([{ fields: { status: 0xff00 }, dataSet: Buffer.alloc(8) }, { fields: { status: 0 } }]),
    );
  });
  after(() => scp.close());

  it('puts each message in P-DATA-TF PDUs of its own', async (t) => {
    const socket = connect(scp.port, '127.0.0.1');
    t.after(() => socket.destroy());
    await new Promise((r) => socket.once('connect', r));
    const next = pduReader(socket);
    socket.write(
      encodePdu({
        type: 'A-ASSOCIATE-RQ',
        protocolVersion: 1,
        calledAETitle: 'ANY-SCP',
        callingAETitle: 'RAWSCU',
        applicationContextName: '1.2.840.10008.3.1.1.1',
        presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
        userInformation: { maxPduLength: 16384 },
      }),
    );
    assert.equal((await next()).type, 0x02, 'A-ASSOCIATE-AC');
    const rq = encodeCommand({
      commandField: CommandField.C_ECHO_RQ,
      messageId: 1,
      affectedSopClassUid: VERIFICATION,
      hasDataSet: false,
    });
    for (const part of encodePDataTf([{ presentationContextId: 1, isCommand: true, isLast: true, data: rq }]))
      socket.write(part);
    const first = await next();
    const second = await next();
    assert.equal(first.type, 0x04);
    assert.deepEqual(
      first.pdvs.map((p) => [p.isCommand, p.isLast]),
      [
        [true, true],
        [false, true],
      ],
      'the first message: its command, then its data set',
    );
    assert.equal(first.pdvs[1]!.length, 8);
    assert.equal(second.type, 0x04);
    assert.deepEqual(
      second.pdvs.map((p) => [p.isCommand, p.isLast]),
      [[true, true]],
      'the second message starts a PDU of its own',
    );
    socket.destroy();
  });
});
