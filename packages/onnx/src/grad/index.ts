export { GRADIENT_RULES, type GradientRule, NON_DIFFERENTIABLE, type RuleContext } from './rules.js';
export { buildTrainingGraph, type TrainingGraph, type TrainingGraphOptions } from './training-graph.js';
