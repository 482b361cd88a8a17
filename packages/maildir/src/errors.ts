/** Errors the Maildir store throws; protocol layers map them to their own replies. */
export class MaildirError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MaildirError';
  }
}

/** A mailbox or user name that cannot be stored or would leave the user's Maildir. */
export class InvalidNameError extends MaildirError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidNameError';
  }
}

export class FolderNotFoundError extends MaildirError {
  constructor(name: string) {
    super(`No such mailbox: ${name}`);
    this.name = 'FolderNotFoundError';
  }
}

export class FolderExistsError extends MaildirError {
  constructor(name: string) {
    super(`Mailbox already exists: ${name}`);
    this.name = 'FolderExistsError';
  }
}

export class MessageNotFoundError extends MaildirError {
  constructor(uid: number) {
    super(`No message with UID ${uid}`);
    this.name = 'MessageNotFoundError';
  }
}

/** More than 26 keywords in one folder: the Maildir file name has only letters a..z. */
export class TooManyKeywordsError extends MaildirError {
  constructor() {
    super('Too many keywords in this folder (Maildir allows 26)');
    this.name = 'TooManyKeywordsError';
  }
}

export class LockTimeoutError extends MaildirError {
  constructor(path: string) {
    super(`Timed out waiting for lock ${path}`);
    this.name = 'LockTimeoutError';
  }
}
