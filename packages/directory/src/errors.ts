/** Why a directory operation failed; the CLI maps these to sysexits codes. */
export type DirectoryErrorCode =
  | 'invalid-file' // the file does not parse or validate
  | 'missing-file' // the file does not exist and creating it was not asked for
  | 'invalid-argument' // a bad address, domain, quota or target given to a management method
  | 'exists' // adding something that is already there
  | 'no-such-user'
  | 'no-such-alias'
  | 'no-such-domain'
  | 'in-use' // removing a domain that still has users, aliases or a catch-all
  | 'io-error'; // the file could not be read (permissions, a folder in the way, ...)

export class DirectoryError extends Error {
  readonly code: DirectoryErrorCode;
  /** For `invalid-file`: one entry per problem, each naming the offending key. */
  readonly issues: string[];

  constructor(code: DirectoryErrorCode, message: string, issues: string[] = []) {
    super(message);
    this.name = 'DirectoryError';
    this.code = code;
    this.issues = issues;
  }
}
