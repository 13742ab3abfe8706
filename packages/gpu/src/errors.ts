/**
 * The error class of @rbmlab/gpu for inputs outside what its float32 kernels can do: more than
 * 16384 chains or units per layer, a flat index at or above 2^24, a poisson mean above 80, an
 * invalid inverse temperature, a value that leaves float32's range (a poisson activation above
 * e^88.7, weights that overflowed). The message is one line, so that a command line can print it
 * as it is (and exit with code 2); it extends RangeError, so a caller that catches RangeError
 * still catches it.
 */
export class GpuLimitError extends RangeError {
  constructor(message: string) {
    super(message.split('\n').join(' '));
    this.name = 'GpuLimitError';
  }
}
