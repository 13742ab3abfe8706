/**
 * Grids of small grey images as PNG: weight filters, samples, data.
 *
 * images: count x (height * width) row-major, pixel (r, c) of image k at k * height * width +
 * r * width + c (the layout of MNIST rows and of a weight column read out of W). The tiles are
 * laid out row by row, `columns` per grid row, with `padding` pixels of the background level
 * around and between them:
 *
 *     PNG width  = columns * width  + (columns + 1) * padding
 *     PNG height = gridRows * height + (gridRows + 1) * padding,   gridRows = ceil(count / columns)
 *
 * Grey level g in [0, 1] becomes the byte round(255 g) in R, G and B (alpha 255). normalize:
 * - 'none': values are grey levels already, clamped to [0, 1];
 * - 'per-image': each image is mapped affinely so its minimum is 0 and its maximum 1 (a constant
 *   image becomes 0.5): the way weight filters are shown, whose scale differs from unit to unit.
 * Grid cells past `count` in the last row are background.
 */
import { PNG } from 'pngjs';

/**
 * Grey-level mapping of an image grid: 'none' (values are grey levels, clamped to [0, 1]) or 'per-image'
 * (each image mapped affinely onto [0, 1], a constant image to 0.5).
 */
export type ImageNormalization = 'none' | 'per-image';

/** Layout of `imageGridPng`: tiles per row, padding, normalization and background grey level. */
export interface ImageGridOptions {
  /** Tiles per grid row (default ceil(sqrt(count))). */
  readonly columns?: number;
  /** Background pixels around and between tiles (default 1). */
  readonly padding?: number;
  /** Default 'none'. */
  readonly normalize?: ImageNormalization;
  /** Grey level of the padding, in [0, 1] (default 0, black). */
  readonly background?: number;
}

function nonNegativeInteger(name: string, x: number): void {
  if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`imageGridPng: ${name} must be a non-negative integer, got ${x}`);
}

/** The grid of `count` height x width images as PNG bytes (see the module comment). */
export function imageGridPng(
  images: ArrayLike<number>,
  count: number,
  height: number,
  width: number,
  options: ImageGridOptions = {},
): Buffer {
  for (const [name, x] of [['count', count], ['height', height], ['width', width]] as const) {
    nonNegativeInteger(name, x);
    if (x === 0) throw new RangeError(`imageGridPng: ${name} must be positive`);
  }
  const pixels = height * width;
  if (images.length !== count * pixels) {
    throw new RangeError(`imageGridPng: ${images.length} values, expected ${count} images x ${height} x ${width} = ${count * pixels}`);
  }
  const columns = options.columns ?? Math.ceil(Math.sqrt(count));
  nonNegativeInteger('columns', columns);
  if (columns === 0) throw new RangeError('imageGridPng: columns must be positive');
  const padding = options.padding ?? 1;
  nonNegativeInteger('padding', padding);
  const normalize = options.normalize ?? 'none';
  if (normalize !== 'none' && normalize !== 'per-image') {
    throw new RangeError(`imageGridPng: unknown normalize "${String(normalize)}" (known: none, per-image)`);
  }
  const background = options.background ?? 0;
  if (!(background >= 0 && background <= 1)) throw new RangeError(`imageGridPng: background must be in [0, 1], got ${background}`);

  const gridRows = Math.ceil(count / columns);
  const png = new PNG({ width: columns * width + (columns + 1) * padding, height: gridRows * height + (gridRows + 1) * padding });
  const out = png.data;
  const bg = Math.round(255 * background);
  out.fill(bg);
  for (let k = 3; k < out.length; k += 4) out[k] = 255;

  for (let img = 0; img < count; img++) {
    const base = img * pixels;
    let offset = 0;
    let scale = 1;
    if (normalize === 'per-image') {
      let min = Infinity;
      let max = -Infinity;
      for (let p = 0; p < pixels; p++) {
        const x = images[base + p];
        if (x < min) min = x;
        if (x > max) max = x;
      }
      // constant image: every pixel maps to 0.5
      scale = max > min ? 1 / (max - min) : 0;
      offset = min;
    }
    const top = padding + Math.floor(img / columns) * (height + padding);
    const left = padding + (img % columns) * (width + padding);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const x = images[base + r * width + c];
        if (!Number.isFinite(x)) throw new RangeError(`imageGridPng: image ${img}, pixel (${r}, ${c}) is not finite: ${x}`);
        const g = scale === 0 ? 0.5 : (x - offset) * scale;
        const byte = Math.round(255 * Math.min(1, Math.max(0, g)));
        const at = ((top + r) * png.width + left + c) * 4;
        out[at] = byte;
        out[at + 1] = byte;
        out[at + 2] = byte;
      }
    }
  }
  return PNG.sync.write(png);
}
