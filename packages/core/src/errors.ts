/** Base class of every error LFM throws on purpose: a message a user can act on, and a stable `code`. */
export class LfmError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An array has the wrong rank, a wrong dimension, or dimensions that disagree between arguments. */
export class ShapeError extends LfmError {
  constructor(message: string) {
    super('E_SHAPE', message);
  }
}

/** Input values a computation cannot use: NaN/Infinity, too few points, degenerate geometry. */
export class InputError extends LfmError {
  constructor(message: string) {
    super('E_INPUT', message);
  }
}

/** A problem has no unique answer for this input (collinear/coplanar points, all joints masked, …). */
export class DegenerateError extends LfmError {
  constructor(message: string) {
    super('E_DEGENERATE', message);
  }
}

/** A file (or its metadata) is not what its format says. Messages name the file and the problem. */
export class DataFormatError extends LfmError {
  readonly file: string | undefined;
  constructor(message: string, file?: string) {
    super('E_DATA_FORMAT', file ? `${file}: ${message}` : message);
    this.file = file;
  }
}
