/**
 * How correlated successive states of a Markov chain are: the integrated autocorrelation time of
 * a scalar observable (energy, magnetization) along one or several chains, to choose burn-in and
 * thinning from measurement rather than by guess (issue 19: teachers sampled by the heat bath).
 *
 * For a stationary series x_t with autocorrelation rho(t) = Cov(x_s, x_{s+t}) / Var(x),
 *
 *     tau_int = 1 + 2 sum_{t >= 1} rho(t),
 *
 * so that the mean of n successive draws has the variance of n / tau_int independent ones (an
 * AR(1) series x_t = phi x_{t-1} + noise has rho(t) = phi^t and tau_int = (1 + phi) / (1 - phi)).
 * The sum is cut at Sokal's self-consistent window: the smallest W with W >= c tau(W), tau(W) =
 * 1 + 2 sum_{t=1..W} rho(t), c = 5 by default (A. Sokal, "Monte Carlo methods in statistical
 * mechanics", 1996, sec. 3). Several chains share one rho(t): each chain's autocovariance about its
 * own mean, averaged over chains, divided by the averaged variance (as emcee does). The estimate is
 * trustworthy when the series is long against it: `reliable` is n >= 50 tau per chain.
 */

export interface AutocorrelationTime {
  /** tau_int, in steps of the series (sweeps, when one value is recorded per sweep). */
  readonly tau: number;
  /** The window W where the sum was cut. */
  readonly window: number;
  /** Whether every chain is at least 50 tau long (Sokal's and emcee's rule of thumb). */
  readonly reliable: boolean;
}

/**
 * The integrated autocorrelation time of `chains` (each a series of one observable, all of the
 * same length >= 2). A series with no variance (a frozen chain) gives tau NaN, not reliable.
 */
export function integratedAutocorrelationTime(chains: readonly ArrayLike<number>[], options: { readonly c?: number } = {}): AutocorrelationTime {
  const c = options.c ?? 5;
  if (!(c > 0)) throw new RangeError(`c must be positive, got ${c}`);
  if (chains.length === 0) throw new RangeError('integratedAutocorrelationTime needs at least one chain');
  const n = chains[0].length;
  if (n < 2) throw new RangeError(`each chain needs at least 2 values, got ${n}`);
  for (const chain of chains) if (chain.length !== n) throw new RangeError('the chains must have the same length');
  const centred = chains.map((chain) => {
    let mean = 0;
    for (let t = 0; t < n; t++) {
      if (!Number.isFinite(chain[t])) throw new RangeError(`the series has a non-finite value at step ${t}`);
      mean += chain[t];
    }
    mean /= n;
    const out = new Float64Array(n);
    for (let t = 0; t < n; t++) out[t] = chain[t] - mean;
    return out;
  });
  // C(t) = mean over chains of (1/n) sum_s y_s y_{s+t}: the biased estimator, whose rho(t) stays
  // a positive-definite sequence and is quieter at large t than dividing by n - t
  const autocovariance = (lag: number): number => {
    let sum = 0;
    for (const y of centred) for (let s = 0; s + lag < n; s++) sum += y[s] * y[s + lag];
    return sum / (n * centred.length);
  };
  const variance = autocovariance(0);
  if (!(variance > 0)) return { tau: NaN, window: 0, reliable: false };
  let tau = 1;
  let window = 0;
  for (let lag = 1; lag < n; lag++) {
    tau += (2 * autocovariance(lag)) / variance;
    window = lag;
    if (lag >= c * tau) break;
  }
  return { tau, window, reliable: n >= 50 * tau };
}
