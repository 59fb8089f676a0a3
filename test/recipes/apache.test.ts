import { recipeSuite } from './suite.ts';

recipeSuite('apache');
