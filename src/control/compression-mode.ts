/** A compression mode named on the command line, with this node's LossyQuality (dicom.ini) as default quality. */
import { type CompressionMode, parseCompressionMode } from '../codecs/modes.js';
import type { CommandContext } from './context.js';

export function commandMode(text: string, ctx: CommandContext): CompressionMode {
  let quality: number | undefined;
  try {
    quality = ctx.config().server.lossyQuality;
  } catch {
    quality = undefined; // no readable dicom.ini here: the default quality
  }
  return parseCompressionMode(text, quality);
}
