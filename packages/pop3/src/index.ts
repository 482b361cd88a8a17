export { createPop3Server, type Pop3Server, type Pop3ServerOptions } from './server.ts';
