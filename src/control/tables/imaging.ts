/** Rendering and frame conversion commands (manual Appendix 5, conversion options). */
import { type CommandTable, entry } from './types.js';

const convert = () => import('../commands/convert.js');

export const IMAGING_COMMANDS: CommandTable = {
  commands: {
    convert_to_gif: entry('local', convert, (m) => m.convertToGifCommand),
    convert_to_bmp: entry('local', convert, (m) => m.convertToBmpCommand),
    convert_to_jpg: entry('local', convert, (m) => m.convertToJpgCommand),
    convert_to_dicom: entry('local', convert, (m) => m.convertToDicomCommand),
    extract_frames: entry('local', convert, (m) => m.extractFramesCommand),
  },
};
