export * from './errors.js';
export * from './model.js';
export * from './frames.js';
// Validation (TypeBox compiler) is a separate entry, @parley/protocol/validate, so
// browser bundles that only need types and the codec stay small.
export * from './tcp-codec.js';
