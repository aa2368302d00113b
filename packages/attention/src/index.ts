export * from './attention.js';
export * from './layer.js';
