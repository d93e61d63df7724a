// The alignment page's Web Worker: trains a small transformer (SftTrainer) on a toy task —
// adding two digits, "3+4=" → "7" — with the module the page compiled, posting every step's
// loss back as it goes, then answers every prompt greedily and reports how many are right.
import { initSync, align } from "../../sdk/index.ts";

const { LanguageModel, Tokenizer, SftTrainer, parseRecord, tokenizeRecord, sample } = align;
let controller = null;

/** Every "a+b=" prompt with its answer, as tokenised SFT examples. */
function sums(tok) {
  const rows = [];
  for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) rows.push({ prompt: `${a}+${b}=`, completion: String(a + b) });
  return { rows, examples: rows.map((r, i) => tokenizeRecord(parseRecord(r, null, i + 1), tok)) };
}

self.onmessage = async ({ data: msg }) => {
  if (msg.type === "stop") return controller?.abort(new Error("stopped"));
  if (msg.type !== "train") return;
  initSync(msg.module);
  controller = new AbortController();
  const tok = Tokenizer.byteLevel();
  const { rows, examples } = sums(tok);
  const model = LanguageModel.create({ kind: "transformer", vocab: tok.vocabSize, context: 8, layers: msg.layers, heads: 2, width: msg.width }, { seed: msg.seed });
  const trainer = new SftTrainer(model, { data: examples, batchSize: 10, epochs: msg.epochs, seed: msg.seed, optimizer: { lr: msg.lr, schedule: { kind: "cosine", totalSteps: 10 * msg.epochs } } });
  let stopped = false;
  try {
    await trainer.train({
      signal: controller.signal,
      onProgress: (p) => self.postMessage({ type: "step", step: p.step, total: p.totalSteps, loss: p.loss, tokensPerSecond: p.tokensPerSecond, etaMs: p.etaMs }),
    });
  } catch (e) {
    if (!controller.signal.aborted) {
      self.postMessage({ type: "error", message: String(e?.message ?? e) });
      trainer.dispose();
      model.dispose();
      return;
    }
    stopped = true;
  }
  // greedy answers to all 100 prompts, in one batch
  const prompts = rows.map((r) => [tok.bos, ...tok.encode(r.prompt)]);
  const out = sample(model, prompts, { temperature: 0, maxNewTokens: 3, eos: tok.eos });
  const answers = out.completions.map((c) => tok.decode(c, { skipSpecial: true }));
  const right = answers.filter((a, i) => a === rows[i].completion).length;
  self.postMessage({ type: "done", stopped, steps: trainer.steps, accuracy: right / rows.length, examples: [37, 58, 64, 99, 5, 81].map((i) => ({ prompt: rows[i].prompt, answer: answers[i], right: answers[i] === rows[i].completion })) });
  trainer.dispose();
  model.dispose();
};
