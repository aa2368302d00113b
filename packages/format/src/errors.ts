import { DataFormatError, LfmError } from '@lfm/core';

/**
 * Bytes that are not a (well-formed) ONNX model: not protobuf, truncated, a field of the wrong type, or
 * a graph that breaks a structural rule (`checkModel`). `problems` lists every rule broken.
 */
export class OnnxFormatError extends DataFormatError {
  readonly problems: readonly string[];
  constructor(message: string, options: { file?: string; problems?: readonly string[] } = {}) {
    super(message, options.file);
    this.problems = options.problems ?? [message];
  }
}

/** A lifter config is invalid: an unknown key, a wrong type, or values that do not fit together. */
export class ConfigError extends LfmError {
  constructor(message: string) {
    super('E_CONFIG', message);
  }
}
