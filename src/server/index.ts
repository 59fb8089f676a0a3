export * from './types.ts';
export { initialServer, roleOf, stepServer, zabView } from './step.ts';
