export { capabilities } from './commands/capa.ts';
export { COMMANDS } from './commands/index.ts';
export type { CommandContext, Pop3Command } from './commands/types.ts';
export { MAX_COMMAND_OCTETS, parseCommand } from './dispatch.ts';
export { DotStuffer } from './dot-stuffer.ts';
export { LineSplitter, type SplitItem } from './line-splitter.ts';
export { type DropMessage, Maildrop } from './maildrop.ts';
export { createPop3Server, type Pop3Server, type Pop3ServerOptions } from './server.ts';
export type { SessionState, StateName } from './state.ts';
