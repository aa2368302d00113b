// The spec package's public surface: every export of these modules (each declared once, where it is
// defined; `@lfm/onnx`, `@lfm/model` and the runtimes re-export or import from here).
export * from './check.js';
export * from './checkpoint.js';
export * from './config.js';
export * from './constants.js';
export * from './crc32.js';
export * from './errors.js';
export * from './metadata.js';
export * from './op-table.js';
export * from './proto.js';
export * from './proto-decode.js';
export * from './proto-encode.js';
export * from './schema.js';
export * from './wire.js';
