export { convertJoints, type JointConversion, type JointMapping } from './convert.js';
export {
  type AdjacencyOptions,
  defineRig,
  firstSpecDifference,
  type IndexPair,
  isRig,
  type JointPair,
  RIG_SPEC_VERSION,
  type Rig,
  type RigSpec,
  type RigSpecInput,
  type RigSpecV1,
  specsEqual,
} from './define-rig.js';
export {
  PointsShapeError,
  RigConflictError,
  RigError,
  RigPluginError,
  RigSpecError,
  UnknownJointError,
  UnknownRigError,
} from './errors.js';
export { indexedJoints } from './joints.js';
export { type LoadRigPluginOptions, loadRigPlugin, type RigPluginValue } from './plugin.js';
export { getRig, hasRig, listRigs, matchRigByJoints, registerRig } from './registry.js';
