export { decodeMailboxUtf7, encodeMailboxUtf7 } from './mutf7.ts';
export { CommandParser, type ParserOptions } from './parser/command-parser.ts';
export { FETCH_MACROS, formatSectionLabel } from './parser/fetch-grammar.ts';
export { SEARCH_CHARSETS } from './parser/search-grammar.ts';
export type {
  Command,
  CommandArgsMap,
  CommandName,
  CommandOf,
  FetchAttribute,
  IncomingLiteral,
  ListValue,
  ParseError,
  ParserEvent,
  Partial,
  SearchDate,
  SearchFlagKey,
  SearchKey,
  SectionSpec,
  SimpleFetchName,
  StatusItem,
} from './parser/types.ts';
export {
  formatSequenceSet,
  parseSequenceSet,
  resolveRange,
  type SeqNumber,
  type SeqRange,
  type SequenceSet,
  selectFromSet,
  sequenceSetIncludes,
} from './sequence-set.ts';
export { createImapServer, type ImapServer, type ImapServerOptions } from './session/server.ts';
export type { Piece } from './writer/encode.ts';
export { ResponseStreamError, ResponseWriter } from './writer/response-writer.ts';
export { type SerializeOptions, serialize, serializeToBuffer } from './writer/serialize.ts';
export type {
  FetchItem,
  Namespace,
  Response,
  ResponseCode,
  Status,
  StreamedLiteral,
} from './writer/types.ts';
