// The optional scalar value head V(x) (for DRO-V, Richemond et al. 2024): a linear function of
// the final hidden state at one position per sequence — the last prompt token, so V sees the
// prompt only. h = LN_f(x) for the transformer, the hidden layer's activation for the MLPs.
// Whether V shares its trunk with the policy is the caller's choice: the paper found separate
// networks ("double net") better, which here is a second, small model created with a value head
// and used headless (its vocabulary head is never computed).
import { NnTensor, tensorOffset } from "./config";
import { at } from "./mathf";

@inline function P(params: usize, cfg: usize, kind: i32): usize {
  return at(params, tensorOffset(cfg, kind, -1));
}

// values[b] = w · hidden[b, pos[b]] + bias   (hidden [B·T, width])
export function valueForward(cfg: usize, params: usize, hidden: usize, positions: usize, values: usize, B: i32, T: i32, width: i32): void {
  const w = P(params, cfg, NnTensor.VALUE_WEIGHT), bias = load<f32>(P(params, cfg, NnTensor.VALUE_BIAS));
  for (let b = 0; b < B; b++) {
    const h = at(hidden, (b * T + load<i32>(at(positions, b))) * width);
    let s: f32 = 0;
    for (let i = 0; i < width; i++) s += load<f32>(at(w, i)) * load<f32>(at(h, i));
    store<f32>(at(values, b), s + bias);
  }
}

// dhidden[b, pos] += dv_b·w;  dw += dv_b·hidden[b, pos];  dbias += dv_b   (b in increasing order)
export function valueBackward(cfg: usize, params: usize, grads: usize, hidden: usize, dhidden: usize, positions: usize, dvalues: usize, B: i32, T: i32, width: i32): void {
  const w = P(params, cfg, NnTensor.VALUE_WEIGHT);
  const dw = P(grads, cfg, NnTensor.VALUE_WEIGHT), db = P(grads, cfg, NnTensor.VALUE_BIAS);
  for (let b = 0; b < B; b++) {
    const r = (b * T + load<i32>(at(positions, b))) * width;
    const g = load<f32>(at(dvalues, b));
    for (let i = 0; i < width; i++) {
      store<f32>(at(dhidden, r + i), load<f32>(at(dhidden, r + i)) + g * load<f32>(at(w, i)));
      store<f32>(at(dw, i), load<f32>(at(dw, i)) + g * load<f32>(at(hidden, r + i)));
    }
    store<f32>(db, load<f32>(db) + g);
  }
}
