export { startPlatform, type RunningPlatform } from './platform.js';
export { loadOptions, helpText, ConfigError } from './config/load-options.js';
export type { Options } from './config/options.js';
