// The reference policy π_ref of the trainers: a frozen model (given, or a copy of the policy
// when training starts), the same with per-example scores cached ("precomputed"), or the
// previous iterate (synced from the policy). One place computes S_ref for every trainer.
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { integer } from "../../core/validate.js";
import { LanguageModel } from "../model.js";
import { lmBatch, type Example, type PaddedBatch } from "../data.js";
import type { Tensor } from "../modelfile.js";
import { parameterCrc, type ReferenceOptions } from "./common.js";

/** A row's identity for the reference cache and the caller's score function. @internal */
export interface RowKey {
  /** The example (null for generated rows: no cache, no score function). */
  example: Example | null;
  /** Which sequence of the example. */
  part: "chosen" | "rejected" | "completion";
  /** Cache key (null: not cached). */
  key: string | null;
  /** S_ref already known (resolved by the trainer before a micro-batch goes to a worker: the
   *  caller's score function or the cache). */
  score?: number;
}

/** @internal */
export class Reference {
  readonly mode: "frozen" | "precomputed" | "previous";
  readonly model: LanguageModel | null;
  readonly syncEvery: number;
  private readonly owned: boolean;
  private readonly scoreFn: ReferenceOptions["scores"] | undefined;
  private readonly cache = new Map<string, number>();
  private readonly crc: number | null;
  /** Bumped whenever the reference's parameters change (sync, restore): a data-parallel worker
   *  holds a replica of the reference and is sent the parameters again only when this moved. */
  version = 0;

  constructor(policy: LanguageModel, options: ReferenceOptions | undefined, where: string, allowed: readonly string[] = ["frozen", "precomputed", "previous"]) {
    const o = options === undefined ? {} : checkOptions<ReferenceOptions>(options, `${where}: reference`, ["mode", "model", "syncEvery", "scores"]);
    const mode = o.mode ?? "frozen";
    if (!allowed.includes(mode)) throw new ValueError(`${where}: reference.mode must be ${allowed.map((a) => `"${a}"`).join(" or ")}, got ${JSON.stringify(mode)}`);
    this.mode = mode;
    if (o.scores !== undefined && typeof o.scores !== "function") throw new ValueError(`${where}: reference.scores must be a function (example, part) => number`);
    if (o.scores && mode === "previous") throw new ValueError(`${where}: reference.scores are fixed; they cannot be the previous iterate`);
    this.scoreFn = o.scores;
    this.syncEvery = o.syncEvery === undefined ? 1 : integer(o.syncEvery, `${where}: reference.syncEvery`, 1);
    if (o.syncEvery !== undefined && mode !== "previous") throw new ValueError(`${where}: reference.syncEvery applies to mode "previous"`);
    if (o.model !== undefined) {
      if (!(o.model instanceof LanguageModel)) throw new ValueError(`${where}: reference.model must be a LanguageModel`);
      o.model.check();
      if (o.model.vocab !== policy.vocab) throw new ValueError(`${where}: the reference model's vocabulary (${o.model.vocab}) differs from the policy's (${policy.vocab})`);
      if (o.model === policy) throw new ValueError(`${where}: the reference model is the policy itself; give a copy (model.clone())`);
      if (mode === "previous") policy.checkSame(o.model, `${where}: reference.model`);
      this.model = o.model;
      this.owned = false;
      this.crc = parameterCrc(o.model);
    } else {
      this.model = policy.clone();
      this.owned = true;
      this.crc = null;
    }
  }

  /** S_ref of every row of `rows` (summed over the rows' masks), from the caller's scores, the
   *  cache, or a forward pass of the reference model. */
  scores(rows: PaddedBatch, promptIds: Int32Array | null, keys: readonly RowKey[]): Float64Array {
    const out = new Float64Array(rows.rows);
    const missing: number[] = [];
    for (let i = 0; i < rows.rows; i++) {
      const k = keys[i];
      if (k?.score !== undefined) out[i] = k.score;
      else if (this.scoreFn && k?.example) {
        const v = this.scoreFn(k.example, k.part);
        if (typeof v !== "number" || !Number.isFinite(v)) throw new ValueError(`reference.scores returned ${String(v)} for line ${k.example.line} (${k.part}); expected a finite number`);
        out[i] = v;
      } else if (this.mode === "precomputed" && k?.key && this.cache.has(k.key)) {
        out[i] = this.cache.get(k.key)!;
      } else missing.push(i);
    }
    if (missing.length) {
      const s = this.model!.logProbs(lmBatch(rows, promptIds ?? undefined)).sums;
      for (const i of missing) {
        out[i] = s[i];
        const k = keys[i];
        if (this.mode === "precomputed" && k?.key) this.cache.set(k.key, s[i]);
      }
    }
    return out;
  }

  /** Row keys as they travel to a data-parallel worker: without the example (the worker needs
   *  only the key), with the score when it is known here (the caller's score function, which
   *  cannot travel, or the cache). */
  wireKeys(keys: readonly RowKey[]): RowKey[] {
    return keys.map((k) => {
      const w: RowKey = { example: null, part: k.part, key: k.key };
      if (k.score !== undefined) w.score = k.score;
      else if (this.scoreFn && k.example) {
        const v = this.scoreFn(k.example, k.part);
        if (typeof v !== "number" || !Number.isFinite(v)) throw new ValueError(`reference.scores returned ${String(v)} for line ${k.example.line} (${k.part}); expected a finite number`);
        w.score = v;
      } else if (this.mode === "precomputed" && k.key !== null && this.cache.has(k.key)) w.score = this.cache.get(k.key)!;
      return w;
    });
  }

  /** Forget the cached scores (a data-parallel replica whose parameters were replaced). */
  invalidate(): void {
    this.cache.clear();
  }

  /** The previous-iterate mode's sync: π_ref ← π_θ. */
  sync(policy: LanguageModel): void {
    if (this.mode === "previous") {
      this.model!.copyFrom(policy);
      this.version++;
    }
  }

  /** Checkpoint state: the parameters when the reference changes or was made by the trainer. */
  save(): { json: Record<string, unknown>; tensors: Record<string, Tensor> } {
    if (this.owned || this.mode === "previous") {
      return { json: { reference: "stored" }, tensors: { reference: { dtype: "F32", shape: [this.model!.parameterCount], data: this.model!.getParameters() } } };
    }
    return { json: { reference: "given", referenceCrc: this.crc }, tensors: {} };
  }

  load(json: Record<string, unknown>, tensors: Record<string, Tensor>): void {
    if (json.reference === "stored") {
      const t = tensors.reference;
      if (!t) throw new ValueError("restore: the checkpoint has no reference parameters");
      this.model!.setParameters(t.data as Float32Array);
    } else if (json.reference === "given" && json.referenceCrc !== parameterCrc(this.model!)) {
      throw new ValueError("restore: the reference model given differs from the one the checkpoint was trained against");
    }
    this.cache.clear();
    this.version++;
  }

  dispose(): void {
    if (this.owned) this.model?.dispose();
  }
}
