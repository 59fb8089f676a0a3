// Seeds 0..249 of the simulator's sweep in npm test (sweep.ts).
import { describe } from 'vitest';
import { sweep } from './sweep.ts';

describe('simulated runs, seeds 0..249', () => sweep(0, 249));
