import { recipeSuite } from './suite.ts';

recipeSuite('zabkit');
