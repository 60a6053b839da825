export * from './errors.js';
export * from './model.js';
export * from './frames.js';
export * from './validate.js';
export * from './tcp-codec.js';
