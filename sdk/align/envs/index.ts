// Environments for multi-turn training (the calculator tool world of Xiong et al. 2024's
// ablations, ...): the `Environment` interface and its implementations.
export { EnvironmentError, isEnvironmentError, trainerEnvironment } from "./environment.js";
export type { Environment, EnvTransition, EnvironmentErrorCode } from "./environment.js";
export {
  CalculatorEnv, CALC, CALCULATOR_PROBLEMS, calculatorAnswer, calculatorPrompt, calculatorProblemAt, calculatorProblemFromSeed,
  parseCalculatorTurn, calculatorPolicyMask,
} from "./calculator.js";
export type { CalculatorProblem, CalculatorTurn } from "./calculator.js";
export { passAtK } from "./metrics.js";
