/**
 * Conquest's archival commands (manual Appendix 5 "Archival options") and the -a switches that run them.
 * The switch forms are ParseArgs's in dgate.cpp (the value is what follows the two letters):
 *   -as#,N          --selectlruforarchival:#,MAGN      (N: a number or MAGn; default MAG0)
 *   -au             --restoremagflags:
 *   -amFROM,TO      --movedatatodevice:TO,FROM         (the command form takes the other order)
 *   -aeFROM,TO      --renamedevice:FROM,TO
 *   -avDEVICE       --verifymirrordisk:DEVICE
 *   -atDEVICE       --testimages:DEVICE
 *   -abJUKEBOXj.c,N --preparebunchforburning:JUKEBOXj.c,MAGN
 *   -acJUKEBOXj.c   --comparebunchafterburning:JUKEBOXj.c
 *   -adJUKEBOXj.c   --deletebunchafterburning:JUKEBOXj.c
 * All run in the server when one answers, else locally.
 */
import { UsageError } from '../arguments.js';
import { type CommandTable, entry, type SwitchCommand } from './types.js';

const archival = () => import('../commands/archival.js');

/** `N` or `MAGn` after the comma of -as and -ab; MAG0 when there is none (Conquest: "default MAG0"). */
function magOf(text: string | undefined): string {
  const t = text?.trim() ?? '';
  if (t === '') return 'MAG0';
  if (/^\d+$/.test(t)) return `MAG${Number(t)}`;
  if (/^MAG\d+$/i.test(t)) return t.toUpperCase();
  throw new UsageError(`'${t}' is not a MAG device number (e.g. 0 for MAG0)`);
}

function firstAndRest(value: string): [string, string | undefined] {
  const comma = value.indexOf(',');
  return comma < 0 ? [value, undefined] : [value.slice(0, comma), value.slice(comma + 1)];
}

function twoDevices(form: string): (value: string) => [string, string] {
  return (value) => {
    const [a, b] = firstAndRest(value);
    if (!a.trim() || !b?.trim())
      throw new UsageError(`${form} needs two device names, e.g. ${form.slice(0, 3)}MAG0,MAG1`);
    return [a.trim(), b.trim()];
  };
}

const moveSwitch: SwitchCommand = {
  command: 'movedatatodevice',
  args: (value) => {
    const [from, to] = twoDevices('-amFROM,TO')(value);
    return `${to},${from}`;
  },
};

const renameSwitch: SwitchCommand = {
  command: 'renamedevice',
  args: (value) => twoDevices('-aeFROM,TO')(value).join(','),
};

const selectSwitch: SwitchCommand = {
  command: 'selectlruforarchival',
  args: (value) => {
    const [kb, n] = firstAndRest(value);
    if (!/^\s*[+-]?\d+/.test(kb)) throw new UsageError('-as#,N needs the KB to select, e.g. -as650000,0');
    return `${kb.trim()},${magOf(n)}`;
  },
};

const prepareSwitch: SwitchCommand = {
  command: 'preparebunchforburning',
  args: (value) => {
    const [jukebox, n] = firstAndRest(value);
    if (!jukebox.trim()) throw new UsageError('-abJUKEBOXj.c,N needs the jukebox CD, e.g. -abJUKEBOX0.1,0');
    return `${jukebox.trim()},${magOf(n)}`;
  },
};

function device(form: string, example: string): (value: string) => string {
  return (value) => {
    if (!value.trim()) throw new UsageError(`${form} needs a device, e.g. ${example}`);
    return value.trim();
  };
}

export const ARCHIVAL_COMMANDS: CommandTable = {
  commands: {
    selectlruforarchival: entry('either', archival, (m) => m.selectLruForArchivalCommand),
    selectseriestomove: entry('either', archival, (m) => m.selectSeriesToMoveCommand),
    restoremagflags: entry('either', archival, (m) => m.restoreMagFlagsCommand),
    movedatatodevice: entry('either', archival, (m) => m.moveDataToDeviceCommand),
    moveseriestodevice: entry('either', archival, (m) => m.moveSeriesToDeviceCommand),
    renamedevice: entry('either', archival, (m) => m.renameDeviceCommand),
    verifymirrordisk: entry('either', archival, (m) => m.verifyMirrorDiskCommand),
    testimages: entry('either', archival, (m) => m.testImagesCommand),
    preparebunchforburning: entry('either', archival, (m) => m.prepareBunchForBurningCommand),
    comparebunchafterburning: entry('either', archival, (m) => m.compareBunchAfterBurningCommand),
    deletebunchafterburning: entry('either', archival, (m) => m.deleteBunchAfterBurningCommand),
  },
  switches: {
    as: selectSwitch,
    au: { command: 'restoremagflags', args: () => '' },
    am: moveSwitch,
    ae: renameSwitch,
    av: { command: 'verifymirrordisk', args: device('-avDEVICE', '-avMAG0') },
    at: { command: 'testimages', args: device('-atDEVICE', '-atMAG0') },
    ab: prepareSwitch,
    ac: { command: 'comparebunchafterburning', args: device('-acJUKEBOXj.c', '-acJUKEBOX0.1') },
    ad: { command: 'deletebunchafterburning', args: device('-adJUKEBOXj.c', '-adJUKEBOX0.1') },
  },
};
