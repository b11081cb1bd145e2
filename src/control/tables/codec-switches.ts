/**
 * Conquest's compression switches (manual Appendix 5), mapped onto --compress / --uncompress:
 *   -nd[,]FILE        NKI decompress FILE in place          → --uncompress:FILE
 *   -nc#,FILE         NKI compress FILE in place, mode n#    → --compress:FILE,n#   (# 1..4, default 4)
 *   -nu IN OUT        decompress IN (NKI or any) to OUT      → --uncompress:IN,OUT  (two argv items)
 *   -jd[,]FILE        JPEG decompress FILE in place          → --uncompress:FILE
 *   -jc#,FILE         JPEG compress FILE in place, mode j#   → --compress:FILE,j#   (# 1..6, 7, s, k, l)
 *   -j*##,FILE        recompress FILE in place to mode ##    → --compress:FILE,##
 *   -j-##,FILE        the same (Conquest's second test form) → --compress:FILE,##
 * The switch value is what follows the two letters in the same argv item (`-nc4,file.dcm`).
 * Also --testcompress:file (compress.ts), which has no switch.
 */
import { UsageError } from '../arguments.js';
import { type CommandTable, entry, type SwitchCommand } from './types.js';

/** `#,FILE` → [#, FILE]; a value without a comma is all FILE (`-ndFILE`, `-nd,FILE`). */
function modeAndFile(value: string): [mode: string, file: string] {
  const comma = value.indexOf(',');
  return comma < 0 ? ['', value] : [value.slice(0, comma), value.slice(comma + 1)];
}

function needFile(file: string, form: string): string {
  if (!file) throw new UsageError(`${form} needs a file, e.g. ${form.replace('FILE', 'image.dcm')}`);
  return file;
}

const decompress = (flag: string): SwitchCommand => ({
  command: 'uncompress',
  args: (value) => needFile(modeAndFile(value)[1], `-${flag},FILE`),
});

const nkiCompress: SwitchCommand = {
  command: 'compress',
  args: (value) => {
    const [mode, file] = modeAndFile(value);
    if (mode !== '' && !/^[1-4]$/.test(mode))
      throw new UsageError(`-nc#,FILE: # is the NKI mode 1..4, not '${mode}'`);
    return `${needFile(file, '-nc#,FILE')},n${mode || '4'}`;
  },
};

const jpegCompress: SwitchCommand = {
  command: 'compress',
  args: (value) => {
    const [mode, file] = modeAndFile(value);
    if (!/^([1-7skl]|[3-7l]\d{1,3})$/i.test(mode))
      throw new UsageError(
        `-jc#,FILE: # is the JPEG mode after j (1..6, 7, s, k, l, e.g. -jc2,FILE), not '${mode}'`,
      );
    return `${needFile(file, '-jc#,FILE')},j${mode}`;
  },
};

const recompressTo = (flag: string): SwitchCommand => ({
  command: 'compress',
  args: (value) => {
    const [mode, file] = modeAndFile(value);
    if (!mode) throw new UsageError(`-${flag}##,FILE needs a compression mode, e.g. -${flag}j2,image.dcm`);
    return `${needFile(file, `-${flag}##,FILE`)},${mode}`;
  },
});

const nkiUncompressTo: SwitchCommand = {
  command: 'uncompress',
  args: (value, rest) => {
    const [input, output] = rest;
    if (value || !input || !output || rest.length > 2)
      throw new UsageError('-nu IN OUT: give the input and the output file as two arguments');
    return `${input},${output}`;
  },
};

export const CODEC_SWITCHES: CommandTable = {
  commands: {
    // Stores copies in the archive: in the server when one answers.
    testcompress: entry(
      'either',
      () => import('../commands/compress.js'),
      (m) => m.testCompressCommand,
    ),
  },
  switches: {
    nd: decompress('nd'),
    nc: nkiCompress,
    nu: nkiUncompressTo,
    jd: decompress('jd'),
    jc: jpegCompress,
    'j*': recompressTo('j*'),
    'j-': recompressTo('j-'),
  },
};
