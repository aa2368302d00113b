import { LfmError } from '@lfm/core';

/**
 * Errors thrown by @lfm/rig: core's `LfmError` (a stable `code` and a message a user can act on), so
 * `instanceof LfmError` catches them with the other errors LFM throws on purpose.
 */
export class RigError extends LfmError {}

/** A rig spec is malformed: unknown or duplicate joint names, a bone to itself, a bad mirror pair, … */
export class RigSpecError extends RigError {
  /** Every problem found, one sentence each (the message joins them). */
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[] = [message]) {
    super('E_RIG_SPEC', message);
    this.problems = Object.freeze([...problems]);
  }
}

/** A different rig is already registered under this id. */
export class RigConflictError extends RigError {
  readonly rigId: string;
  constructor(rigId: string, message: string) {
    super('E_RIG_CONFLICT', message);
    this.rigId = rigId;
  }
}

/** No rig is registered under this id. `suggestions` holds the closest registered ids. */
export class UnknownRigError extends RigError {
  readonly rigId: string;
  readonly suggestions: readonly string[];
  constructor(rigId: string, message: string, suggestions: readonly string[] = []) {
    super('E_UNKNOWN_RIG', message);
    this.rigId = rigId;
    this.suggestions = Object.freeze([...suggestions]);
  }
}

/** A joint name that the rig does not have (in a lookup or a joint mapping). */
export class UnknownJointError extends RigError {
  constructor(message: string) {
    super('E_UNKNOWN_JOINT', message);
  }
}

/** A points array does not have the shape a rig implies ([F, J, D] with J = the rig's joint count). */
export class PointsShapeError extends RigError {
  constructor(message: string) {
    super('E_SHAPE', message);
  }
}

/** A rig plugin cannot be loaded: the file or package is missing, fails to import, or exports no rig. */
export class RigPluginError extends RigError {
  readonly plugin: string;
  constructor(plugin: string, message: string) {
    super('E_RIG_PLUGIN', message);
    this.plugin = plugin;
  }
}
