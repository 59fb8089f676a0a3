export * from './types.ts';
export { initialServer, stepServer } from './step.ts';
