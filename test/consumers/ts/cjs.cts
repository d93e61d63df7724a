// TypeScript compiling to CommonJS (a .cts file under module nodenext): `require` of the
// package is typed like the ES module.
import seqlearn = require("seqlearn");
import kernel = require("seqlearn/kernel");

const m: seqlearn.Matrix = seqlearn.Matrix.fromRows([[1, 2]]);
const k: typeof seqlearn.NystromKRR = kernel.NystromKRR;
console.log(m.rows, k.name);
