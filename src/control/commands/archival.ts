/**
 * Conquest's archival commands (manual Appendix 5 "Archival options", and the -a switches of ParseArgs in
 * dgate.cpp; see tables/archival.ts for the switch forms). They run in the server when one answers, else in
 * dgate's own process; the work is done by src/archive/maintenance/archival.ts. The "Archival: ..." lines go
 * to the output; an operation that fails, finds nothing to do, or finds bad files ends with a
 * MaintenanceError (exit code 1), as Conquest's dgate exits with 1 when the operation returns FALSE.
 */
import {
  type ArchivalOptions,
  type CheckResult,
  compareBunchAfterBurning,
  deleteBunchAfterBurning,
  moveDataToDevice,
  prepareBunchForBurning,
  renameDevice,
  restoreMagFlags,
  selectLruForArchival,
  selectSeriesForArchival,
  testImages,
  verifyMirrorDisk,
} from '../../archive/maintenance/archival.js';
import { MaintenanceError } from '../../archive/maintenance/common.js';
import { splitArgs, UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';

function options(ctx: CommandContext): ArchivalOptions {
  return { log: ctx.log, print: (line) => ctx.stdout.write(`${line}\n`) };
}

function need(value: string | undefined, usage: string): string {
  const v = value?.trim() ?? '';
  if (!v) throw new UsageError(usage);
  return v;
}

/** A whole number, as Conquest's atoi reads the leading digits, but refusing text without any. */
function integer(value: string | undefined, usage: string): number {
  const m = /^\s*([+-]?\d+)/.exec(value ?? '');
  if (!m) throw new UsageError(usage);
  return Number(m[1]);
}

function failOnBadFiles(r: CheckResult, what: string): void {
  if (r.failures.length > 0)
    throw new MaintenanceError(`Archival: *** ${r.failures.length} of ${r.files} files ${what}`);
}

/** --selectlruforarchival:kb,device (-as#,N). */
export async function selectLruForArchivalCommand(args: string, ctx: CommandContext): Promise<void> {
  const usage = '--selectlruforarchival:kb,device needs an amount in KB and a MAG device, e.g. 650000,MAG0';
  const [kb, device] = splitArgs(args, 2);
  const r = await selectLruForArchival(
    await ctx.archive(),
    integer(kb, usage),
    need(device, usage),
    options(ctx),
  );
  if (r.selected.length === 0) throw new MaintenanceError('Archival: nothing to do');
}

/** --selectseriestomove:device,age,kb. */
export async function selectSeriesToMoveCommand(args: string, ctx: CommandContext): Promise<void> {
  const usage =
    '--selectseriestomove:device,age,kb needs a device, an age in days and an amount in KB (0: any)';
  const [device, age, kb] = splitArgs(args, 3);
  const r = await selectSeriesForArchival(
    await ctx.archive(),
    need(device, usage),
    integer(age, usage),
    integer(kb, usage),
    options(ctx),
  );
  if (r.series.length === 0) throw new MaintenanceError('Archival: nothing to do');
}

/** --restoremagflags: (-au). */
export async function restoreMagFlagsCommand(_args: string, ctx: CommandContext): Promise<void> {
  await restoreMagFlags(await ctx.archive(), options(ctx));
}

function moveCommand(bySeries: boolean) {
  const name = bySeries ? 'moveseriestodevice' : 'movedatatodevice';
  const prefix = bySeries ? 'MoveSeriesToDevice:' : 'MoveDataToDevice:';
  return async (args: string, ctx: CommandContext): Promise<void> => {
    const usage = `--${name}:to,from needs the device to move to and the one to move from, e.g. MAG1,MAG0.Archiving`;
    const [to, from] = splitArgs(args, 2);
    const r = await moveDataToDevice(await ctx.archive(), need(from, usage), need(to, usage), {
      ...options(ctx),
      bySeries,
    });
    if (r.groups.length === 0) throw new MaintenanceError(`${prefix} Nothing to do`);
    if (r.missing > 0)
      ctx.stdout.write(`${prefix} *** ${r.missing} images without their file stay on ${from?.trim()}\n`);
  };
}

/** --movedatatodevice:to,from (-amFROM,TO: the other order). */
export const moveDataToDeviceCommand = moveCommand(false);
/** --moveseriestodevice:to,from. */
export const moveSeriesToDeviceCommand = moveCommand(true);

/** --renamedevice:from,to (-aeFROM,TO). */
export async function renameDeviceCommand(args: string, ctx: CommandContext): Promise<void> {
  const usage = '--renamedevice:from,to needs two device names, e.g. MAG1,JUKEBOX0.1';
  const [from, to] = splitArgs(args, 2);
  await renameDevice(await ctx.archive(), need(from, usage), need(to, usage), options(ctx));
}

/** --verifymirrordisk:device (-avDEVICE). */
export async function verifyMirrorDiskCommand(args: string, ctx: CommandContext): Promise<void> {
  const device = need(args, '--verifymirrordisk:device needs a MAG device, e.g. MAG0');
  failOnBadFiles(await verifyMirrorDisk(await ctx.archive(), device, options(ctx)), 'differ from the mirror');
}

/** --testimages:device (-atDEVICE). */
export async function testImagesCommand(args: string, ctx: CommandContext): Promise<void> {
  const device = need(args, '--testimages:device needs a device, e.g. MAG0');
  failOnBadFiles(await testImages(await ctx.archive(), device, options(ctx)), 'failed the test read');
}

/** --preparebunchforburning:to,from (-abJUKEBOXj.c,N). */
export async function prepareBunchForBurningCommand(args: string, ctx: CommandContext): Promise<void> {
  const usage = '--preparebunchforburning:to,from needs a jukebox CD and a MAG device, e.g. JUKEBOX0.1,MAG0';
  const [to, from] = splitArgs(args, 2);
  const r = await prepareBunchForBurning(
    await ctx.archive(),
    need(to, usage),
    need(from, usage),
    options(ctx),
  );
  if (r.groups.length === 0) throw new MaintenanceError('Archival: Nothing to do');
}

/** --comparebunchafterburning:device (-acJUKEBOXj.c). */
export async function compareBunchAfterBurningCommand(args: string, ctx: CommandContext): Promise<void> {
  const device = need(args, '--comparebunchafterburning:device needs a jukebox CD, e.g. JUKEBOX0.1');
  failOnBadFiles(
    await compareBunchAfterBurning(await ctx.archive(), device, options(ctx)),
    'differ between cache and jukebox',
  );
}

/** --deletebunchafterburning:device (-adJUKEBOXj.c). */
export async function deleteBunchAfterBurningCommand(args: string, ctx: CommandContext): Promise<void> {
  const device = need(args, '--deletebunchafterburning:device needs a jukebox CD, e.g. JUKEBOX0.1');
  await deleteBunchAfterBurning(await ctx.archive(), device, options(ctx));
}
