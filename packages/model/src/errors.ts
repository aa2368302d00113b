import { LfmError } from '@lfm/core';

/** A lifter config is invalid: an unknown key, a wrong type, or values that do not fit together. */
export class ConfigError extends LfmError {
  constructor(message: string) {
    super('E_CONFIG', message);
  }
}

/** A checkpoint does not fit the expected model: a parameter missing, extra, or of another shape. */
export class CheckpointMismatchError extends LfmError {
  constructor(message: string) {
    super('E_CHECKPOINT_MISMATCH', message);
  }
}
