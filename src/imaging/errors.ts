/** Typed failure of rendering or image encoding (a frame that cannot be shown, a LUT that makes no sense). */
export class ImagingError extends Error {
  override readonly name = 'ImagingError';
}
