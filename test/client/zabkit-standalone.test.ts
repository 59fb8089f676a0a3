import { clientSuite } from './suite.ts';

clientSuite('zabkit', 1);
