/**
 * --grabimagesfromserver / -g: two servers in this process, A with studies of three dates and B with part
 * of one of them, each in the other's acrnema.map. A grab on B from A of one date moves to B only the images
 * of that date that B lacks; a second grab finds nothing to do; a date range grabs the rest of the range.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/control/arguments.js';
import { localContext } from '../../src/control/local-context.js';
import { commandEntry } from '../../src/control/registry.js';
import { quoteIdentifier } from '../../src/db/schema.js';
import { silentLogger } from '../../src/logging/logger.js';
import { AssociationError } from '../../src/net/association.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { freePort } from '../support/ports.js';
import { collector, FIXTURE, storeFiles, uid, writeFixtures } from './query-fixtures.js';

describe('grabbing images from another server', () => {
  let dirA: string;
  let dirB: string;
  let a: RunningServer;
  let b: RunningServer;
  before(async () => {
    dirA = mkdtempSync(join(tmpdir(), 'cq-grab-a-'));
    dirB = mkdtempSync(join(tmpdir(), 'cq-grab-b-'));
    const [portA, portB] = [await freePort(), await freePort()];
    writeFileSync(join(dirA, 'acrnema.map'), `SERVB 127.0.0.1 ${portB} un\n`);
    writeFileSync(join(dirB, 'acrnema.map'), `SERVA 127.0.0.1 ${portA} un\n`);
    a = await startServer({ dir: dirA, port: portA, aeTitle: 'SERVA', host: '127.0.0.1', log: silentLogger });
    b = await startServer({ dir: dirB, port: portB, aeTitle: 'SERVB', host: '127.0.0.1', log: silentLogger });
    await storeFiles(a.port, writeFixtures(join(dirA, 'in')).values(), 'SERVA');
    const onB = FIXTURE.filter((i) => i.seriesUid === uid(1, 2) || i.studyUid === uid(3));
    await storeFiles(b.port, writeFixtures(join(dirB, 'in'), onB).values(), 'SERVB');
  });
  after(async () => {
    await b.close(1000);
    await a.close(1000);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  async function grabOnB(args: string): Promise<string> {
    const out = collector();
    const ctx = localContext({ dir: dirB, aeTitle: 'SERVB', port: b.port, stdout: out, log: silentLogger });
    try {
      await (await commandEntry('grabimagesfromserver')!.load())(args, ctx);
    } finally {
      await ctx.close();
    }
    return out.text();
  }

  /** The SOP Instance UIDs B's index holds for a study. */
  async function onB(studyUid: string): Promise<string[]> {
    const { schema, driver } = b.archive.index!;
    const image = schema.levels.Image!;
    const series = schema.levels.Series!;
    const q = (n: string): string => quoteIdentifier(driver.dialect, n);
    const rows = await driver.all<{ sop: string }>(
      `SELECT i.${q(image.key.column)} AS sop FROM ${q(image.table)} i JOIN ${q(series.table)} s ` +
        `ON s.${q(series.key.column)} = i.${q(image.link!.column)} WHERE s.${q(series.link!.column)} = ?`,
      [studyUid],
    );
    return rows.map((r) => r.sop).sort();
  }

  const sopsOf = (studyUid: string): string[] =>
    FIXTURE.filter((i) => i.studyUid === studyUid)
      .map((i) => i.sopUid)
      .sort();

  it('wrong arguments and unreachable destinations fail clearly', async () => {
    await assert.rejects(grabOnB(''), UsageError);
    await assert.rejects(grabOnB('SERVA,yesterday'), UsageError);
    await assert.rejects(grabOnB('NOSUCHAE,20240105'), UsageError);
    // A does not know the AE the images are to go to: its C-MOVE is refused (Move Destination Unknown).
    const out = collector();
    const ctx = localContext({
      dir: dirB,
      aeTitle: 'STRANGER',
      port: b.port,
      stdout: out,
      log: silentLogger,
    });
    try {
      await assert.rejects(
        (await commandEntry('grabimagesfromserver')!.load())('SERVA,20240106', ctx),
        AssociationError,
      );
    } finally {
      await ctx.close();
    }
    assert.match(out.text(), /2 requested to STRANGER/);
    assert.match(out.text(), /0xA801/);
    assert.deepEqual(await onB(uid(2)), [], 'nothing moved');
  });

  it('moves only the images of that date that are not here', async () => {
    assert.equal((await onB(uid(1))).length, 1);
    const out = await grabOnB('SERVA,20240105');
    assert.match(out, /Grab from SERVA of 20240105: 4 images there, 1 already here, 3 requested to SERVB/);
    assert.match(
      out,
      new RegExp(`Grabbed 3 images of series ${uid(1, 1).replace(/\./g, '\\.')}: success \\(3 completed`),
    );
    assert.match(out, /Grab finished: 3 completed, 0 failed, 0 warnings/);
    assert.deepEqual(await onB(uid(1)), sopsOf(uid(1)));
    assert.deepEqual(await onB(uid(2)), [], 'nothing of another date');
  });

  it('a second grab of the date finds everything here', async () => {
    const out = await grabOnB('SERVA,20240105');
    assert.match(out, /4 images there, 4 already here, 0 requested/);
    assert.match(out, /Grab finished: 0 completed, 0 failed/);
  });

  it('a date range grabs what is missing of the whole range', async () => {
    const out = await grabOnB('SERVA,20240101-20241231');
    assert.match(out, /6 images there, 4 already here, 2 requested/);
    assert.deepEqual(await onB(uid(2)), sopsOf(uid(2)));
  });
});
