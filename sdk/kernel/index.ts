export { Kernel, rbf, laplacian, linear, polynomial, matern12, matern32, matern52, kernelFromSpec } from "./kernels.js";
export type { KernelSpec, KernelName } from "./kernels.js";
