/** Compression and conversion commands (manual Appendix 5, conversion options). */
import { type CommandTable, entry } from './types.js';

const compress = () => import('../commands/compress.js');

export const CODEC_COMMANDS: CommandTable = {
  commands: {
    compress: entry('local', compress, (m) => m.compressCommand),
    uncompress: entry('local', compress, (m) => m.uncompressCommand),
    count_frames: entry('local', compress, (m) => m.countFramesCommand),
  },
};
