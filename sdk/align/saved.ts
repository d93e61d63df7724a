// A LanguageModel as a model file and back: its normalised configuration, its tokenizer, and
// one F32 tensor per parameter tensor (the names of `model.tensors`, GPT-2's for the
// transformer), so PyTorch, NumPy or safetensors read the weights by name. The reader checks
// the configuration, the tokenizer against the vocabulary, and every tensor's name, shape and
// dtype before the parameters are used; any mismatch is a ModelFileError.
import { ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { LanguageModel, normalizeConfig, configInput, type NormalizedModelConfig, type ModelConfigInput } from "./model.js";
import { Tokenizer } from "./tokenizer.js";
import { ModelFileError, type ModelFile, type Tensor } from "./modelfile.js";

/** The model file of `model` trained with `tokenizer` (for encodeModelFile / saveModel). */
export function modelFile(model: LanguageModel, tokenizer: Tokenizer, metadata: Record<string, string> = {}): ModelFile {
  if (!(model instanceof LanguageModel)) throw new ValueError("modelFile: the first argument must be a LanguageModel");
  if (!(tokenizer instanceof Tokenizer)) throw new ValueError("modelFile: tokenizer must be a Tokenizer");
  model.check();
  if (tokenizer.vocabSize > model.vocab) throw new ValueError(`modelFile: the tokenizer has ${tokenizer.vocabSize} tokens, more than the model's vocabulary of ${model.vocab}`);
  const p = model.getParameters();
  const tensors: Record<string, Tensor> = {};
  for (const t of model.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    tensors[t.name] = { dtype: "F32", shape: [...t.shape], data: p.slice(t.offset, t.offset + n) };
  }
  return { config: { ...model.config }, tokenizer, tensors, metadata };
}

/** The configuration of a model file: the normalised form (what modelFile writes) or the input
 *  form (what LanguageModel.create takes). */
function configOf(raw: Record<string, unknown>): NormalizedModelConfig {
  let first: unknown;
  try {
    return normalizeConfig(raw as unknown as ModelConfigInput);
  } catch (e) {
    first = e;
  }
  try {
    const c = normalizeConfig(configInput(raw as unknown as NormalizedModelConfig));
    if (JSON.stringify(c) === JSON.stringify(raw)) return c;
  } catch {
    /* report the first error */
  }
  throw new ModelFileError("bad-config", `the model configuration is not valid: ${(first as Error).message}`);
}

/** A LanguageModel with the parameters of a model file (from decodeModelFile / loadModel). Every
 *  parameter tensor must be present with its shape (F32, F64, F16 or BF16); other tensors are an
 *  error unless `ignoreExtra`. */
export function modelFromFile(file: ModelFile, options: { ignoreExtra?: boolean } = {}): LanguageModel {
  const o = checkOptions<{ ignoreExtra?: boolean }>(options, "modelFromFile", ["ignoreExtra"]);
  if (!file || typeof file !== "object" || !file.config || !file.tensors) throw new ValueError("modelFromFile: expected a model file { config, tokenizer, tensors } (decodeModelFile, loadModel)");
  const config = configOf(file.config);
  if (file.tokenizer instanceof Tokenizer && file.tokenizer.vocabSize > config.vocab) {
    throw new ModelFileError("bad-config", `the tokenizer has ${file.tokenizer.vocabSize} tokens, more than the model's vocabulary of ${config.vocab}`);
  }
  const model = LanguageModel.create(configInput(config));
  try {
    const p = new Float32Array(model.parameterCount);
    const seen = new Set<string>();
    for (const t of model.tensors) {
      const f = file.tensors[t.name];
      if (!f) throw new ModelFileError("bad-config", `the file has no tensor ${JSON.stringify(t.name)} (a ${config.kind} of this configuration has ${model.tensors.length}: ${model.tensors.map((x) => x.name).join(", ")})`);
      if (JSON.stringify(f.shape) !== JSON.stringify(t.shape)) throw new ModelFileError("bad-config", `tensor ${JSON.stringify(t.name)} has shape [${f.shape.join(", ")}], the configuration needs [${t.shape.join(", ")}]`);
      if (!(f.data instanceof Float32Array || f.data instanceof Float64Array)) throw new ModelFileError("bad-config", `tensor ${JSON.stringify(t.name)} is ${f.dtype}; parameters are floating point`);
      for (let i = 0; i < f.data.length; i++) {
        if (!Number.isFinite(f.data[i])) throw new ModelFileError("bad-config", `tensor ${JSON.stringify(t.name)}[${i}] is ${f.data[i]}: parameters must be finite`);
      }
      p.set(f.data, t.offset);
      seen.add(t.name);
    }
    const extra = Object.keys(file.tensors).filter((k) => !seen.has(k));
    if (extra.length && !o.ignoreExtra) throw new ModelFileError("bad-config", `the file has tensors this configuration does not use: ${extra.slice(0, 5).map((k) => JSON.stringify(k)).join(", ")}${extra.length > 5 ? ", …" : ""}`);
    model.setParameters(p);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}
