import { PNG } from 'pngjs';
import { imageGridPng } from '../src/images';

/** Grey level (R channel) at (x, y), after checking the pixel is grey and opaque. */
function grey(png: PNG, x: number, y: number): number {
  const at = (y * png.width + x) * 4;
  const [r, g, b, a] = [png.data[at], png.data[at + 1], png.data[at + 2], png.data[at + 3]];
  expect([g, b, a]).toEqual([r, r, 255]);
  return r;
}

describe('imageGridPng', () => {
  // five 2 x 3 images (height 2, width 3: distinct, so a swapped axis fails) in a grid of
  // 3 columns x 2 rows; image k, pixel (r, c) holds (10 k + 3 r + c) / 100
  const count = 5;
  const height = 2;
  const width = 3;
  const images = new Float64Array(count * height * width);
  for (let k = 0; k < count; k++) for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) images[(k * height + r) * width + c] = (10 * k + 3 * r + c) / 100;

  it('places every pixel of every tile, with padding around and between', () => {
    const padding = 2;
    const png = PNG.sync.read(imageGridPng(images, count, height, width, { columns: 3, padding, background: 1 }));
    expect(png.width).toBe(3 * width + 4 * padding);
    expect(png.height).toBe(2 * height + 3 * padding);
    const inside = new Set<string>();
    for (let k = 0; k < count; k++) {
      const top = padding + Math.floor(k / 3) * (height + padding);
      const left = padding + (k % 3) * (width + padding);
      for (let r = 0; r < height; r++) {
        for (let c = 0; c < width; c++) {
          inside.add(`${left + c},${top + r}`);
          expect(grey(png, left + c, top + r)).toBe(Math.round((255 * (10 * k + 3 * r + c)) / 100));
        }
      }
    }
    // everything else (padding and the empty sixth cell) is the background
    for (let y = 0; y < png.height; y++) for (let x = 0; x < png.width; x++) if (!inside.has(`${x},${y}`)) expect(grey(png, x, y)).toBe(255);
  });

  it('per-image normalization maps each tile onto [0, 255]; "none" clamps to [0, 1]', () => {
    const scaled = images.map((x, k) => 7 * x - 3 + (k >= 6 ? 50 : 0)); // different affine maps per image
    const png = PNG.sync.read(imageGridPng(scaled, count, height, width, { columns: 3, padding: 0, normalize: 'per-image' }));
    for (let k = 0; k < count; k++) {
      const top = Math.floor(k / 3) * height;
      const left = (k % 3) * width;
      for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) expect(grey(png, left + c, top + r)).toBe(Math.round((255 * (3 * r + c)) / 5));
    }
    const clamped = PNG.sync.read(imageGridPng(Float64Array.from([-1, 0.5, 2]), 1, 1, 3, { padding: 0 }));
    expect([0, 1, 2].map((x) => grey(clamped, x, 0))).toEqual([0, 128, 255]);
    const constant = PNG.sync.read(imageGridPng(Float64Array.from([4, 4]), 1, 1, 2, { padding: 0, normalize: 'per-image' }));
    expect(grey(constant, 0, 0)).toBe(128);
  });

  it('rejects mismatched sizes and non-finite pixels', () => {
    expect(() => imageGridPng(images, 4, height, width)).toThrow(/expected 4 images/);
    expect(() => imageGridPng(Float64Array.from([0, NaN]), 1, 1, 2)).toThrow(/not finite/);
  });
});
