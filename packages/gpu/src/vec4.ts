/**
 * Packed (vec4) textures and the kernel code that reads them.
 *
 * A packed texture holds four floats per texel: texel (c4, r) of a rows x cols array is entries
 * 4 c4 .. 4 c4 + 3 of row r (the last texel of a row padded). The samplers keep their states,
 * weights and unit parameters packed, and their kernels compute four outputs per thread
 * (returnType 'Array(4)'), because on a GPU a gpu.js texel read costs an address computation of
 * tens of instructions (flat index, integer division and remainder by the texture width)
 * whatever it returns: a thread that forms the inputs of four units of one chain reads one state
 * texel and four weight texels per four inputs, 5 reads per 16 products instead of 32 for scalar
 * textures (measured on llvmpipe: 3.2x faster at 784 x 500, 256 chains; docs/GPU.md).
 *
 * gpu.js translates a read of one lane differently per mode: GLSL needs the texel in a local
 * vec4 (`const v = t[y][x]; v[0]`; `t[y][x][0]` fails to translate), while the WebAssembly
 * backend has no local arrays (`t[y][x][0]` only). vec4Access gives the form of each mode; the
 * cpu mode takes either.
 */
import type { GpuMode } from './backend';

/** How a kernel reads one lane of a packed (vec4) texel in a given gpu.js mode. */
export interface Vec4Access {
  /** A statement declaring `name` as the texel `expr`, or '' where lanes are read in place. */
  declare(name: string, expr: string): string;
  /** An expression of lane `lane` (0..3) of the texel `expr`, declared as `name`. */
  at(name: string, expr: string, lane: number): string;
}

/**
 * The lane reads of `mode`: through a local vec4 (GLSL modes, cpu) or in place, t[y][x][k] (webasm, which
 * has no local arrays).
 */
export function vec4Access(mode: GpuMode): Vec4Access {
  if (mode === 'webasm') {
    return { declare: () => '', at: (_name, expr, lane) => `${expr}[${lane}]` };
  }
  return { declare: (name, expr) => `const ${name} = ${expr};`, at: (name, _expr, lane) => `${name}[${lane}]` };
}

/** The four lanes. */
export const LANES = [0, 1, 2, 3] as const;

/**
 * Statements accumulating `${acc}0..3` += the inputs of four units from packed textures:
 *     acc_k += sum_{i4 < inner4} dot(states[row][i4], weights[unit0 + k][i4])
 * where `states` is a packed chains x K texture and `weights` a packed texture whose row u holds
 * the K weights into unit u. `acc0..3` must be declared (let) before.
 */
export function packedInputsCode(mode: GpuMode, acc: string, states: string, weights: string, inner4: number, row: string, unit0: string): string {
  const t = vec4Access(mode);
  const sv = `${states}[${row}][i4]`;
  const lanes = LANES.map((k) => {
    const wv = `${weights}[${unit0} + ${k}][i4]`;
    const wn = `${acc}_w${k}`;
    const dot = LANES.map((c) => `${t.at(`${acc}_s`, sv, c)} * ${t.at(wn, wv, c)}`).join(' + ');
    return `${t.declare(wn, wv)}
        ${acc}${k} += ${dot};`;
  });
  return `
    for (let i4 = 0; i4 < ${inner4}; i4++) {
      ${t.declare(`${acc}_s`, sv)}
      ${lanes.join('\n      ')}
    }`;
}
