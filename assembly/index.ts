// The ABI of seqlearn.wasm: every export of the module, and nothing else.
// Exports take addresses (ptr<T>, see core/mem.ts), lengths (i32) and scalars (f64); the
// SDK's engine layer (sdk/engine/) is the only caller. scripts/abi.mjs reads this file, the
// signatures and doc comments of the exports, and every `export const enum` under assembly/,
// and writes sdk/engine/abi.ts: the typed boundary (docs/internals/engine-abi.md).
export { mem_alloc, mem_free, mem_size } from "./core/mem";
export { status_arg, status_arg2 } from "./core/status";
export { threads_control, threads_config, threads_registered, thread_run, threads_stop } from "./core/threads";
export {
  rng_seed, rng_fill_u32, rng_fill_uniform, rng_fill_normal, rng_below, rng_bernoulli,
  rng_fill_bernoulli, rng_binomial, rng_binomial_thin, rng_fill_binomial,
} from "./core/rng";
export { vexp } from "./core/vmath";
export { dot, axpy, scal, axpby, sum, nrm2, all_finite, gemv, gemv_t } from "./linalg/blas1";
export { gemm, syrk, syrk_t } from "./linalg/gemm";
export { cholesky, cholesky_jitter, trsm_lower, trsm_lower_t, trsm_right_lower_t, chol_diag_inv, chol_diag_inv_workspace_size } from "./linalg/chol";
export { cg } from "./linalg/cg";
export { eigh, eigh_workspace_size } from "./linalg/eigh";
export { kernel_block, kernel_diag } from "./kernels/kernels";
export { games_workspace_size, games_run, games_solve, games_metrics, games_best_response, games_apply } from "./games/solvers";
export {
  rls_workspace_size, rls_factor_workspace_size, rls_estimate_workspace_size,
  rls_factor, rls_estimate, rls_update, rls_stream, rls_regrow,
} from "./rls/rls";
export { mtpo_workspace_size, mtpo_run, mtpo_exploitability } from "./games/mtpo";
export {
  loss_token_logprobs, loss_token_logprobs_f64, loss_logits_backward, loss_logits_backward_f64,
  loss_masked_row_sum, loss_scatter_seq_grad, loss_pair, loss_point,
  loss_divergence_workspace_size, loss_token_divergence, loss_token_divergence_f64, loss_reward_to_go,
} from "./nn/losses";
export {
  nn_check_config, nn_param_count, nn_tensor_count, nn_tensor_info, nn_workspace_size, nn_logits_offset, nn_init,
  nn_forward, nn_logprobs, nn_mixture_logprobs, nn_values, nn_backward, nn_sample_workspace_size, nn_sample, nn_layer,
} from "./nn/model";
export { nn_adamw, nn_grad_norm, nn_sgd } from "./nn/optim";
export { nn_matmul } from "./nn/matmul";
export { graph_spmm } from "./graph/laplacian";
export { graph_pcg_workspace_size, graph_pcg } from "./graph/pcg";
export {
  graph_approxchol_workspace_size, graph_approxchol_factor_size, graph_approxchol_index_size,
  graph_approxchol_capacity_hint, graph_approxchol, graph_approxchol_apply_workspace_size,
} from "./graph/approxchol";
export { graph_jl_rhs, graph_jl_accumulate } from "./graph/jl";
export { graph_dict_update } from "./graph/gsqueak";
export { graph_sample_edges } from "./graph/sample";
