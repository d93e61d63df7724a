// Causal multi-head self-attention (Vaswani et al. 2017, scaled dot-product attention with a
// causal mask), forward next to backward. One function computes the output of one query of one
// head (`attendRow`); the full forward and the KV-cache sampling step both call it, so a cached
// step reproduces the full recomputation bit for bit.
//
// qkv [B, T, 3C]: per position the query, key and value vectors side by side; head h uses
// channels h·hs .. (h+1)·hs of each (hs = C / NH, a multiple of 4). att [B, NH, T, T] keeps the
// softmax probabilities of row t in its first t + 1 entries (the rest is not touched).
import { dotf, axpyf } from "./ops";
import { expf4, expf1, hsum, at } from "./mathf";

// y[hs] = Σ_{t2 ≤ t} p_t2 · v_t2,  p = softmax_t2(scale · q·k_t2); p written to att[0..t].
// k_t2 = kbase + t2·stride, v_t2 = vbase + t2·stride (f32 elements).
export function attendRow(y: usize, att: usize, q: usize, kbase: usize, vbase: usize, stride: i32, t: i32, hs: i32, scale: f32): void {
  let m: f32 = -Infinity;
  for (let t2 = 0; t2 <= t; t2++) {
    const s = dotf(q, at(kbase, t2 * stride), hs) * scale;
    store<f32>(at(att, t2), s);
    m = max(m, s);
  }
  const mv = f32x4.splat(m);
  const n = t + 1;
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const e = expf4(f32x4.sub(v128.load(at(att, i)), mv));
    v128.store(at(att, i), e);
    acc = f32x4.add(acc, e);
  }
  let sum = hsum(acc);
  for (; i < n; i++) {
    const e = expf1(load<f32>(at(att, i)) - m);
    store<f32>(at(att, i), e);
    sum += e;
  }
  const inv = <f32>1 / sum;
  memory.fill(y, 0, <usize>hs << 2);
  for (let t2 = 0; t2 <= t; t2++) {
    const p = load<f32>(at(att, t2)) * inv;
    store<f32>(at(att, t2), p);
    axpyf(y, p, at(vbase, t2 * stride), hs);
  }
}

// out[B, T, C] = attention(qkv[B, T, 3C]);  att[B, NH, T, T] probabilities
export function attentionForward(out: usize, att: usize, qkv: usize, B: i32, T: i32, C: i32, NH: i32): void {
  const hs = C / NH;
  const scale = <f32>1 / Mathf.sqrt(<f32>hs);
  const C3 = 3 * C;
  for (let b = 0; b < B; b++) {
    const base = at(qkv, b * T * C3);
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < NH; h++) {
        attendRow(
          at(out, (b * T + t) * C + h * hs),
          at(att, ((b * NH + h) * T + t) * T),
          at(base, t * C3 + h * hs), at(base, C + h * hs), at(base, 2 * C + h * hs), C3, t, hs, scale,
        );
      }
    }
  }
}

// dqkv[B, T, 3C] += ∂/∂qkv of ⟨dout, attention(qkv)⟩, using the probabilities att; scratch: T floats.
// Per query row: dp_t2 = dy·v_t2, dv_t2 += p_t2·dy, ds_t2 = p_t2(dp_t2 − Σ p·dp),
// dq += scale·Σ ds_t2·k_t2, dk_t2 += scale·ds_t2·q.  Rows t in increasing order, so every
// dk, dv accumulates its contributions in a fixed order.
export function attentionBackward(dqkv: usize, dout: usize, qkv: usize, att: usize, scratch: usize, B: i32, T: i32, C: i32, NH: i32): void {
  const hs = C / NH;
  const scale = <f32>1 / Mathf.sqrt(<f32>hs);
  const C3 = 3 * C;
  for (let b = 0; b < B; b++) {
    const base = at(qkv, b * T * C3), dbase = at(dqkv, b * T * C3);
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < NH; h++) {
        const p = at(att, ((b * NH + h) * T + t) * T);
        const dy = at(dout, (b * T + t) * C + h * hs);
        const q = at(base, t * C3 + h * hs), dq = at(dbase, t * C3 + h * hs);
        const k0 = at(base, C + h * hs), dk0 = at(dbase, C + h * hs);
        const v0 = at(base, 2 * C + h * hs), dv0 = at(dbase, 2 * C + h * hs);
        let s: f32 = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const pt = load<f32>(at(p, t2));
          const dp = dotf(dy, at(v0, t2 * C3), hs);
          store<f32>(at(scratch, t2), dp);
          s += pt * dp;
          axpyf(at(dv0, t2 * C3), pt, dy, hs);
        }
        for (let t2 = 0; t2 <= t; t2++) {
          const ds = load<f32>(at(p, t2)) * (load<f32>(at(scratch, t2)) - s) * scale;
          axpyf(dq, ds, at(k0, t2 * C3), hs);
          axpyf(at(dk0, t2 * C3), ds, q, hs);
        }
      }
    }
  }
}
