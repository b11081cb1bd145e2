/** A malformed JPEG stream: what is wrong and where (byte offset into the frame's JPEG data). */
export class JpegDataError extends Error {
  override readonly name = 'JpegDataError';
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at byte offset ${offset}`);
  }
}

export function fail(reason: string, offset: number): never {
  throw new JpegDataError(reason, offset);
}
