import { it } from "vitest";
import { init, Rng } from "../../sdk/index.js";
import { LanguageModel } from "../../sdk/align/model.js";
import { SftTrainer } from "../../sdk/align/trainers/sft.js";
import { PreferenceTrainer } from "../../sdk/align/trainers/preference.js";
import { CALC, CALCULATOR_PROBLEMS } from "../../sdk/align/envs/calculator.js";
import { demonstrations, rollouts, evaluateAgent, correctIncorrectPairs, pairExamples } from "../../sdk/experiments/mdpo-calculator/agent.js";

it("proto", async () => {
  await init();
  const N = Number(process.env.NDEMO ?? 20000), EP = Number(process.env.EP ?? 2), H = Number(process.env.H ?? 128);
  const rng = new Rng(1, 1);
  const pool = Int32Array.from({ length: CALCULATOR_PROBLEMS }, (_, i) => i);
  const heldout = Int32Array.from({ length: 200 }, (_, i) => i * 20 + 7);
  let t0 = Date.now();
  const demos = demonstrations(N, pool, { tool: 0.5, direct: 0.3, directAccuracy: 0.5 }, rng);
  const model = LanguageModel.create({ kind: "full-context-mlp", vocab: CALC.VOCAB, context: 24, width: 16, hidden: H, pad: CALC.PAD }, { seed: 1 });
  console.log("params", model.parameterCount);
  const sft = new SftTrainer(model, { data: demos, batchSize: 64, epochs: EP, seed: 1, logEvery: 100, optimizer: { lr: 3e-3 }, onMetrics: (m) => { if (m.step % 300 === 0) console.log(m.step, m.loss); } });
  await sft.train();
  sft.dispose();
  console.log("sft s", (Date.now() - t0) / 1000);
  const sftModel = model.clone();
  t0 = Date.now();
  const m0 = evaluateAgent(model, sftModel, heldout, 32, rng);
  console.log("eval s", (Date.now() - t0) / 1000, m0);
  for (let it = 0; it < 3; it++) {
    t0 = Date.now();
    const probs = Int32Array.from({ length: 1000 }, () => rng.below(CALCULATOR_PROBLEMS));
    const rs = rollouts([model], [9], probs, rng, 1);
    const pairs = correctIncorrectPairs(rs, rng);
    console.log("rollout s", (Date.now() - t0) / 1000, "pairs", pairs.length, "correct", rs.filter(r=>r.reward>0).length / rs.length);
    t0 = Date.now();
    const ref = model.clone();
    const tr = new PreferenceTrainer(model, { data: pairExamples(pairs, true), loss: "sigmoid", beta: Number(process.env.BETA ?? 0.1), batchSize: 32, epochs: 2, seed: 1, optimizer: { lr: Number(process.env.LR ?? 1e-3) }, reference: { mode: "frozen", model: ref } });
    await tr.train(); tr.dispose(); ref.dispose();
    console.log("train s", (Date.now() - t0) / 1000);
    { const e = evaluateAgent(model, sftModel, heldout, 32, rng); console.log("EVAL", JSON.stringify(e)); }
  }
}, 600000);
