// Environments for multi-turn training: the `Environment` interface and its implementations
// (the calculator tool world of Xiong et al. 2024's ablations, the education dialogue of Shani
// et al. 2024's MTPO experiments).
export { EnvironmentError, isEnvironmentError, trainerEnvironment } from "./environment.js";
export type { Environment, EnvTransition, EnvironmentErrorCode } from "./environment.js";
export {
  CalculatorEnv, CALC, CALCULATOR_PROBLEMS, calculatorAnswer, calculatorPrompt, calculatorProblemAt, calculatorProblemFromSeed,
  parseCalculatorTurn, calculatorPolicyMask,
} from "./calculator.js";
export type { CalculatorProblem, CalculatorTurn } from "./calculator.js";
export { passAtK } from "./metrics.js";
export { EnvRandom, episodeSeed } from "./random.js";
export { EducationDialogueEnv, dialogueGame, REACTIONS } from "./dialogue.js";
export type { StudentType, StudentState, DialogueOutcome, EducationDialogueOptions, DialogueGame } from "./dialogue.js";
