// The package's experiments, by name: the table `seqlearn experiment --list` shows and the
// package's workers serve. Add an experiment with one import and one argument below (no module
// registers itself when imported; see experiment.ts for what an experiment is, and
// docs/guide/experiments.md for the template).
import { experimentTable, type ExperimentTable } from "./experiment.js";
import { demoBandit } from "./demo-bandit.js";
import { onlineVsOffline } from "./online-vs-offline.js";
import { droVsKto } from "./dro-vs-kto.js";
import { mdpoCalculator } from "./mdpo-calculator.js";
import { mtpoDialogue } from "./mtpo-dialogue.js";
import { teacherHacking } from "./teacher-hacking.js";
import { nashLm } from "./nash-lm.js";

/** Every experiment of the package, by name. */
export const EXPERIMENTS: ExperimentTable = experimentTable(demoBandit, onlineVsOffline, droVsKto, mdpoCalculator, mtpoDialogue, teacherHacking, nashLm);
