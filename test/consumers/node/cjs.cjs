// Node, CommonJS: require() of the root and of a subpath give the same modules (one engine).
const sl = require("seqlearn");
const kernel = require("seqlearn/kernel");
import("../compute.mjs").then(async ({ compute }) => {
  const out = await compute(sl);
  out.sameKernel = kernel.NystromKRR === sl.NystromKRR;
  console.log(JSON.stringify(out));
});
