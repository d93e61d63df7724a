// Metrics of agents evaluated in an environment.
import { ValueError } from "../../core/errors.js";
import { integer } from "../../core/validate.js";

/**
 * The unbiased estimator of pass@k from n samples of which c are correct (Chen et al. 2021,
 * Evaluating Large Language Models Trained on Code, eq. 1): the probability that at least one
 * of k samples drawn without replacement from the n is correct,
 * 1 − C(n − c, k) / C(n, k), computed as 1 − Π_{i = n − c + 1}^{n} (1 − k / i) (no large
 * binomials). Requires 0 ≤ c ≤ n and 1 ≤ k ≤ n.
 *
 * ```ts
 * passAtK(4, 1, 2); // 1 − C(3, 2)/C(4, 2) = 0.5
 * ```
 */
export function passAtK(n: number, c: number, k: number): number {
  integer(n, "n", 1);
  integer(c, "c", 0);
  integer(k, "k", 1);
  if (c > n) throw new ValueError(`passAtK: c (${c}) exceeds n (${n})`);
  if (k > n) throw new ValueError(`passAtK: k (${k}) exceeds n (${n})`);
  if (n - c < k) return 1;
  let q = 1;
  for (let i = n - c + 1; i <= n; i++) q *= 1 - k / i;
  return 1 - q;
}
