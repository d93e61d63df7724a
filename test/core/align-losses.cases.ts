// Alignment-loss cases for the cross-runtime core suite: a few published vectors (fast), and
// digests of a seeded pipeline (f32 logits → log-probs → masked sums → every loss → per-token
// and full-vocabulary gradients, divergences) that must be byte-identical in Node, Deno,
// Chromium and WASI.
import * as S from "../../sdk/index.js";
import * as A from "../../sdk/align/index.js";
import { ok, close, throwsType, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

const PAIR = { chosen: [-10], rejected: [-12], refChosen: [-11], refRejected: [-11.5], chosenTokens: [5], rejectedTokens: [4] };

export const cases: Case[] = [
  {
    name: "DPO, IPO (sum and token mean), robust DPO: published values and gradients",
    fn: () => {
      const d = A.pairLoss("sigmoid", PAIR);
      close(d.loss, 0.6209570478, 1e-10, "DPO loss");
      close(d.gChosen[0], -0.0462570155, 1e-10, "DPO ∂/∂S_w");
      close(A.pairLoss("ipo", PAIR, { lengthNorm: false }).loss, 12.25, 1e-12, "IPO sum");
      const m = A.pairLoss("ipo", PAIR);
      close(m.loss, 21.855625, 1e-12, "IPO token mean");
      close(m.gRejected[0], 2.3375, 1e-12, "IPO token mean ∂/∂S_l");
      close(A.pairLoss("robust", PAIR, { labelSmoothing: 0.1 }).gChosen[0], -0.0587570155, 1e-10, "robust ∂/∂S_w");
    },
  },
  {
    name: "KTO vector (z0 from mismatched pairs) and DRO vector",
    fn: () => {
      const k = A.unpairedLoss("kto", {
        scores: [-10, -8, -12, -9], refScores: [-11, -8.5, -11.5, -9], labels: [1, 1, 0, 0],
        klScores: [-20, -15, -18, -16], klRefScores: [-20.5, -15.2, -18.1, -16],
      });
      close(k.z0, 0.2, 1e-12, "z0");
      close(k.loss, 0.4875046328, 1e-10, "KTO mean");
      close(k.g[2], 0.00624235, 1e-10, "KTO ∂/∂S (undesirable)");
      const r = A.droLoss({ scores: [-10], refScores: [-10.5], rewards: [1], values: [0.3] }, { tau: 0.5 });
      close(r.loss, 0.10125, 1e-12, "DRO loss");
      close(r.g[0], -0.45, 1e-12, "DRO policy gradient (rescaled)");
      close(r.gValue[0], -0.45, 1e-12, "DRO value gradient");
    },
  },
  {
    name: "generalised JSD at β = 0.5 and the endpoints; token back-prop check",
    fn: () => {
      const T = Float64Array.from([0.7, 0.2, 0.1], Math.log), St = Float64Array.from([0.5, 0.3, 0.2], Math.log);
      const j = A.tokenDivergence("gjsd", St, T, { vocab: 3, beta: 0.5 });
      close(j.loss, 0.021901179, 1e-9, "JSD_0.5");
      close(j.dlogits[0], -0.05084842, 1e-8, "∂JSD/∂z_0");
      close(A.tokenDivergence("gjsd", St, T, { vocab: 3, beta: 0 }).loss, 0.085122826, 1e-9, "β = 0 is KL(T‖S)");
      close(A.tokenDivergence("gjsd", St, T, { vocab: 3, beta: 1 }).loss, 0.0920328502, 1e-10, "β = 1 is KL(S‖T)");
      const z = Float32Array.from([2, 1, 0]);
      const t = A.tokenLogProbs(z, [0], { vocab: 3 });
      const dz = A.logitsBackward([-0.0462570154], z, t.lse, [0], { vocab: 3 });
      close(dz[0], -0.01548495, 1e-8, "dz_0");
      close(dz[1], 0.01132041, 1e-8, "dz_1");
    },
  },
  {
    name: "stable scalars at z = ±500 and typed errors",
    fn: () => {
      const hi = A.pairLoss("sigmoid", { chosen: [500], rejected: [0], refChosen: [0], refRejected: [0] }, { beta: 1 });
      const lo = A.pairLoss("sigmoid", { chosen: [-500], rejected: [0], refChosen: [0], refRejected: [0] }, { beta: 1 });
      ok(hi.loss > 0 && hi.loss < 1e-216 && Number.isFinite(hi.gChosen[0]), "softplus(−500) is tiny and positive");
      close(lo.loss, 500, 1e-12, "softplus(500) = 500");
      close(lo.gChosen[0], -1, 1e-15, "σ(500) = 1");
      throwsType(() => A.pairLoss("robust", PAIR, { labelSmoothing: 0.5 }), S.ValueError, /0.5/, "robust ε = 0.5");
      throwsType(() => A.tokenLogProbs(new Float32Array([1, 2]), [2], { vocab: 2 }), S.ValueError, /targets\[0\]/, "target out of range");
    },
  },
];

/** A seeded batch: f32 logits for 2B sequences of T positions over V tokens, targets, masks. */
function batch(seed: number, B: number, T: number, V: number) {
  const rng = new S.Rng(seed, 7);
  const logits = Float32Array.from(rng.normal(2 * B * T * V), (x) => 2 * x);
  const u = rng.uniform(2 * B * T * 2);
  rng.dispose();
  const targets = Int32Array.from({ length: 2 * B * T }, (_, i) => Math.floor(u[i] * V));
  const mask = Uint8Array.from({ length: 2 * B * T }, (_, i) => (i % T >= 2 && u[2 * B * T + i] < 0.9 ? 1 : 0));
  return { logits, targets, mask };
}

export function digest(): Record<string, string> {
  const B = 4, T = 12, V = 33;
  const pol = batch(21, B, T, V), ref = batch(22, B, T, V);
  const lp = A.tokenLogProbs(pol.logits, pol.targets, { vocab: V });
  const lr = A.tokenLogProbs(ref.logits, pol.targets, { vocab: V });
  const s = A.sequenceScores(lp.logp, pol.mask, { cols: T });
  const sr = A.sequenceScores(lr.logp, pol.mask, { cols: T });
  const half = (a: Float64Array, k: number) => a.slice(k * B, (k + 1) * B);
  const scores = {
    chosen: half(s.scores, 0), rejected: half(s.scores, 1), refChosen: half(sr.scores, 0), refRejected: half(sr.scores, 1),
    chosenTokens: half(s.tokens, 0), rejectedTokens: half(s.tokens, 1),
  };
  const pairParts: Float64Array[] = [];
  for (const kind of A.PAIR_LOSSES) {
    const r = A.pairLoss(kind, kind === "slic" ? { ...scores, refChosen: null, refRejected: null } : scores, { beta: 0.2, labelSmoothing: 0.1, delta: 2 });
    pairParts.push(Float64Array.of(r.loss, r.metrics["rewards/margins"]), r.gChosen, r.gRejected);
  }
  const dpo = A.pairLoss("sigmoid", scores);
  const g = new Float64Array(2 * B);
  g.set(dpo.gChosen, 0);
  g.set(dpo.gRejected, B);
  const dl = A.scatterSequenceGrad(g, pol.mask, { cols: T });
  const dz = A.logitsBackward(dl, pol.logits, lp.lse, pol.targets, { vocab: V });
  const labels = Array.from({ length: 2 * B }, (_, i) => i % 3 !== 0);
  const j = A.ktoMismatchedPairs(2 * B);
  const kl = A.sequenceScores(lp.logp.map((_, i) => lp.logp[j[Math.floor(i / T)] * T + (i % T)]), pol.mask, { cols: T });
  const klr = A.sequenceScores(lr.logp.map((_, i) => lr.logp[j[Math.floor(i / T)] * T + (i % T)]), pol.mask, { cols: T });
  const kto = A.unpairedLoss("kto", { scores: s.scores, refScores: sr.scores, labels, klScores: kl.scores, klRefScores: klr.scores });
  const dro = A.droLoss({ scores: s.scores, refScores: sr.scores, rewards: labels.map(Number), values: s.tokens.map((n) => n / 20) }, { tau: 0.5 });
  const divs: ArrayBufferView[] = [];
  for (const [kind, beta] of [["fkl", undefined], ["rkl", undefined], ["gjsd", 0.5], ["gjsd", 0.1]] as const) {
    const r = A.tokenDivergence(kind, pol.logits, ref.logits, { vocab: V, mask: pol.mask, temperature: 0.9, ...(beta !== undefined ? { beta } : {}) });
    divs.push(Float64Array.of(r.loss), r.perToken, r.dlogits);
  }
  return {
    tokens: fingerprint(lp.logp, lp.lse, s.scores, s.tokens),
    pairs: fingerprint(...pairParts),
    dlogits: fingerprint(dl, dz),
    unpaired: fingerprint(Float64Array.of(kto.loss, kto.z0), kto.g, Float64Array.of(dro.loss), dro.g, dro.gValue),
    divergences: fingerprint(...divs),
  };
}
