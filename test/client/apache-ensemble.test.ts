import { clientSuite } from './suite.ts';

clientSuite('apache', 3);
