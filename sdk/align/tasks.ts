// The alignment domain's worker tasks: data-parallel gradients of the trainers. sdk/tasks.ts
// adds this table to the package's, which the worker entry (sdk/worker.ts) serves and
// `new InlinePool(TASKS)` runs.
//
// A trainer given a pool (`train({ pool })`) splits each step's micro-batches into tree-aligned
// ranges and runs this task on each. The worker keeps a replica of the trainer's step between
// steps — the models (same configurations), the reference, the step's loss options — keyed by
// the trainer's session id, and receives with every step only what changed:
//   - the trained models' parameters (policy, value model): every step. Their bytes must move
//     one way or the other each step — these parameters down, or the reduced gradient down for
//     replicas that would run AdamW themselves — so sending the parameters costs the same and
//     keeps the worker stateless about the optimizer: any worker, a replacement after a
//     failure included, can take any range. (Measured on the 4-layer, width-128 transformer of
//     the benchmarks, 0.84 M parameters: ~3.4 MB per worker and step, a few ms of structured
//     cloning against a step of about a second; bench/cases/align-parallel.mjs.)
//   - the frozen models' parameters (reference, teacher): only when their version moved (a
//     "previous" reference's sync, a restore) or when the worker answers `missing` (it has not
//     seen the session, or came up after a failure); the trainer then sends everything.
// The worker runs the trainers' own micro-batch step (runStep) and seam (treeGradients), so
// the range's summed gradient is bit for bit the one the trainer would compute itself; the
// trainer adds the ranges in the tree's order.
import { taskTable, type TaskTable } from "../parallel/task-table.js";
import { ValueError } from "../core/errors.js";
import { LanguageModel, configInput } from "./model.js";
import { Reference } from "./trainers/reference.js";
import { ALIGN_GRADIENTS_TASK, treeGradients, type GradientTaskInput, type GradientTaskOutput, type ReplicaSetup } from "./trainers/common.js";
import { runStep, type StepModels } from "./trainers/steps.js";

export { ALIGN_GRADIENTS_TASK };

/** Replicas a worker keeps (the most recently used trainers'); older ones are freed. */
const MAX_SESSIONS = 2;

interface Replica {
  setup: ReplicaSetup;
  models: Map<string, LanguageModel>;
  versions: Map<string, number>;
  reference: Reference | null;
  step: StepModels;
  trained: LanguageModel[];
}

const sessions = new Map<string, Replica>();

function build(setup: ReplicaSetup): Replica {
  if (!setup || typeof setup !== "object" || !setup.step || !setup.configs || !Array.isArray(setup.trained)) throw new ValueError("seqlearn.align.gradients: malformed setup");
  const models = new Map<string, LanguageModel>();
  try {
    for (const [role, config] of Object.entries(setup.configs)) models.set(role, LanguageModel.create(configInput(config)));
    const policy = models.get("policy");
    if (!policy) throw new ValueError("seqlearn.align.gradients: the setup has no policy");
    const refModel = models.get("reference") ?? null;
    const reference = setup.referenceMode && refModel ? new Reference(policy, { mode: setup.referenceMode, model: refModel }, `${setup.kind} (worker)`) : null;
    return {
      setup, models, versions: new Map(), reference,
      step: { policy, value: models.get("value") ?? null, reference, teacher: models.get("teacher") ?? null },
      trained: setup.trained.map((r) => {
        const m = models.get(r);
        if (!m) throw new ValueError(`seqlearn.align.gradients: no configuration for the trained ${r}`);
        return m;
      }),
    };
  } catch (e) {
    for (const m of models.values()) m.dispose();
    throw e;
  }
}

function release(r: Replica): void {
  r.reference?.dispose();
  for (const m of r.models.values()) m.dispose();
}

/** The data-parallel gradient task: the summed gradients of a range of a trainer's micro-batches
 *  (see the top of this file). @internal */
export function alignGradientsTask(input: GradientTaskInput): GradientTaskOutput {
  let rep = sessions.get(input.session);
  if (rep) sessions.delete(input.session); // re-inserted below: the most recently used last
  else {
    if (!input.setup) return { missing: "session" };
    rep = build(input.setup);
  }
  sessions.set(input.session, rep);
  while (sessions.size > MAX_SESSIONS) {
    const [oldest, r] = sessions.entries().next().value as [string, Replica];
    sessions.delete(oldest);
    release(r);
  }
  for (const [role, model] of rep.models) {
    const p = input.params?.[role];
    if (!p) throw new ValueError(`seqlearn.align.gradients: no parameters for the ${role}`);
    if (p.data) {
      // the trainer's own parameters (finite, the right length): copied without setParameters' checks
      if (!(p.data instanceof Float32Array) || p.data.length !== model.parameterCount) throw new ValueError(`seqlearn.align.gradients: the ${role}'s parameters do not fit its configuration`);
      model.params.set(p.data);
      model.version++;
      if (role === "reference" && rep.versions.get(role) !== p.version) rep.reference?.invalidate();
      rep.versions.set(role, p.version);
    } else if (rep.versions.get(role) !== p.version) return { missing: role };
  }
  const r = rep;
  const metrics = treeGradients(r.trained, input.micro, (mb) => runStep(r.setup.step, r.step, mb as never, input.denom, true));
  const grads: Record<string, Float32Array> = {};
  r.setup.trained.forEach((role, k) => (grads[role] = r.trained[k].getGradients()));
  return { grads, metrics };
}

/** The alignment domain's tasks: the trainers' data-parallel gradients. */
export const ALIGN_TASKS: TaskTable = taskTable({
  [ALIGN_GRADIENTS_TASK]: alignGradientsTask,
});
