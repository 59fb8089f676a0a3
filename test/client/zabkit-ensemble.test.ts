import { clientSuite } from './suite.ts';

clientSuite('zabkit', 3);
