/**
 * Two-sample tests computed from two LogHistograms, so that comparing two traces of any length
 * costs the histograms' size, never the task count (docs/diff.md, "How a latency change is
 * decided").
 *
 * Every bucket of a LogHistogram is a tie group: the samples in it are indistinguishable at the
 * histogram's resolution (≤ 0.78 % of the value). On that binned data:
 * - Mann-Whitney U with mid-ranks for ties and the tie-corrected variance (the normal
 *   approximation with a continuity correction); when the two samples do not overlap at all the
 *   exact permutation probability 2 / C(n1 + n2, n1) is used instead, which is what decides
 *   small samples (five SYNCHRONIZE CACHEs against five).
 * - Kolmogorov-Smirnov: the largest gap between the two empirical distribution functions at the
 *   bucket edges, with the asymptotic Kolmogorov distribution (Stephens' small-sample
 *   correction). Evaluated at bin edges only, the statistic can only be smaller than the
 *   unbinned one: the test is conservative.
 * Both are symmetric: swapping the samples gives the same p-values, U becomes n1·n2 − U.
 */
import type { LogHistogram } from './histogram.js';

export interface TwoSampleTest {
  /** Samples in the first (baseline) and second (candidate) histogram. */
  n1: number;
  n2: number;
  /**
   * Vargha-Delaney A: P(candidate > baseline) + ½·P(tie), from the binned data. 0.5 = no
   * tendency; 1 = every candidate sample is larger (slower).
   */
  probabilityGreater: number;
  /** Mann-Whitney z (positive: candidate larger), tie-corrected, with continuity correction. */
  z: number;
  /** Two-sided p-value of the Mann-Whitney test. */
  pMannWhitney: number;
  /** Kolmogorov-Smirnov D at the histogram's bucket edges (0–1). */
  ksD: number;
  /** Two-sided p-value of the Kolmogorov-Smirnov test. */
  pKs: number;
}

/**
 * Counts of both histograms side by side, bucket by bucket, for the buckets either has (both use
 * the same bucket edges: the edges are a function of the value alone).
 */
export function pairedBuckets(a: LogHistogram, b: LogHistogram): { a: number[]; b: number[] } {
  const ca: number[] = [];
  const cb: number[] = [];
  const ia = a.buckets();
  const ib = b.buckets();
  let na = ia.next();
  let nb = ib.next();
  while (!na.done || !nb.done) {
    if (!na.done && (nb.done || na.value.low < nb.value.low)) {
      ca.push(na.value.count);
      cb.push(0);
      na = ia.next();
    } else if (!nb.done && (na.done || nb.value.low < na.value.low)) {
      ca.push(0);
      cb.push(nb.value.count);
      nb = ib.next();
    } else {
      // Neither is done here: the loop runs while one is not, and the branches above took the other cases.
      ca.push((na.value as { count: number }).count);
      cb.push((nb.value as { count: number }).count);
      na = ia.next();
      nb = ib.next();
    }
  }
  return { a: ca, b: cb };
}

/** The tests on two histograms; undefined when either is empty. */
export function compareHistograms(baseline: LogHistogram, candidate: LogHistogram): TwoSampleTest | undefined {
  const { a, b } = pairedBuckets(baseline, candidate);
  return compareBinned(a, b);
}

/** The tests on counts per ordered bin (a[i], b[i]: samples of each side in bin i). */
export function compareBinned(a: readonly number[], b: readonly number[]): TwoSampleTest | undefined {
  let n1 = 0;
  let n2 = 0;
  for (let i = 0; i < a.length; i++) {
    n1 += a[i]!;
    n2 += b[i]!;
  }
  if (n1 === 0 || n2 === 0) return undefined;
  // U of the candidate: for each candidate sample, the baseline samples below it, ties as ½.
  // Sums of integers and halves: exact in doubles for counts far beyond any trace's.
  let below1 = 0;
  let below2 = 0;
  let u = 0;
  let ties = 0;
  let ksD = 0;
  let firstA = -1;
  let lastA = -1;
  let firstB = -1;
  let lastB = -1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    u += y * (below1 + 0.5 * x);
    const t = x + y;
    ties += t * t * t - t;
    below1 += x;
    below2 += y;
    const gap = Math.abs(below1 / n1 - below2 / n2);
    if (gap > ksD) ksD = gap;
    if (x) {
      if (firstA < 0) firstA = i;
      lastA = i;
    }
    if (y) {
      if (firstB < 0) firstB = i;
      lastB = i;
    }
  }
  const nn = n1 * n2;
  const n = n1 + n2;
  const deviation = Math.abs(u - nn / 2);
  const variance = (nn / 12) * (n + 1 - ties / (n * (n - 1)));
  const corrected = Math.max(0, deviation - 0.5);
  const zAbs = variance > 0 ? corrected / Math.sqrt(variance) : 0;
  let pMannWhitney = variance > 0 ? Math.min(1, erfc(zAbs / Math.SQRT2)) : 1;
  // Complete separation: every sample of one side below every sample of the other. The exact
  // two-sided probability of that under the null is 2 / C(n1 + n2, n1).
  if (lastA < firstB || lastB < firstA) pMannWhitney = Math.min(pMannWhitney, separationProbability(n1, n2));
  const en = Math.sqrt(nn / n);
  const pKs = kolmogorovQ((en + 0.12 + 0.11 / en) * ksD);
  const sign = u > nn / 2 ? 1 : u < nn / 2 ? -1 : 0;
  return { n1, n2, probabilityGreater: u / nn, z: zAbs === 0 ? 0 : sign * zAbs, pMannWhitney, ksD, pKs };
}

/** 2 / C(n1 + n2, n1), capped at 1, computed in logs. */
function separationProbability(n1: number, n2: number): number {
  const small = Math.min(n1, n2);
  const n = n1 + n2;
  let logC = 0;
  for (let k = 1; k <= small; k++) logC += Math.log((n - small + k) / k);
  return Math.min(1, 2 * Math.exp(-logC));
}

/**
 * The complementary error function (Numerical Recipes' erfcc, Chebyshev fit; relative error
 * below 1.2e-7 everywhere), for x ≥ 0.
 */
export function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  return (
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  );
}

/** Kolmogorov's Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²): the probability of a D this large by chance. */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  let sign = 1;
  let previous = 0;
  for (let k = 1; k <= 100; k++) {
    const term = sign * 2 * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) <= 1e-10 * Math.abs(previous) || Math.abs(term) <= 1e-300) return Math.max(0, Math.min(1, sum));
    sign = -sign;
    previous = term;
  }
  return 1; // no convergence: λ was tiny
}
