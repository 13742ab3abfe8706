// The stdlib math packages ship JavaScript only; these are their signatures.
declare module '@stdlib/math-base-special-erfcx' {
  /** erfcx(x) = exp(x^2) erfc(x) (Faddeeva-package algorithm). */
  function erfcx(x: number): number;
  export = erfcx;
}

declare module '@stdlib/math-base-special-gammaln' {
  /** Natural log of |Gamma(x)|. */
  function gammaln(x: number): number;
  export = gammaln;
}
