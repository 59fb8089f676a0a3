// Seeds 250..499 of the simulator's sweep in npm test (sweep.ts).
import { describe } from 'vitest';
import { sweep } from './sweep.ts';

describe('simulated runs, seeds 250..499', () => sweep(250, 499));
