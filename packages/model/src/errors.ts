import { LfmError } from '@lfm/core';

export { ConfigError } from '@lfm/format';

/** A checkpoint does not fit the expected model: a parameter missing, extra, or of another shape. */
export class CheckpointMismatchError extends LfmError {
  constructor(message: string) {
    super('E_CHECKPOINT_MISMATCH', message);
  }
}
