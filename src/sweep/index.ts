/** `matc sweep`: grids of overrides, validated, run (resumably) and summarised. */
export * from './grid.js';
export * from './validate.js';
export * from './run-state.js';
export * from './runner.js';
export * from './summary.js';
export * from './sweep.js';
