import { type Directory, splitAddress } from '@mailstack/core';
import type { SmtpCommandOptions } from '@mailstack/smtp';

/**
 * VRFY and EXPN answered from the directory, for the listener to use with authenticated
 * clients only (unauthenticated ones get 252 / 502 whatever is configured here).
 */
export function directoryCommands(
  directory: Directory,
  enable: { verify: boolean; expand: boolean },
): SmtpCommandOptions {
  const resolve = (query: string) => {
    const address = query.replace(/^<(.*)>$/, '$1');
    return splitAddress(address) ? directory.resolve(address) : Promise.resolve(null);
  };
  const commands: SmtpCommandOptions = {};
  if (enable.verify) {
    commands.verify = async (query) => {
      const found = await resolve(query);
      return found && found.local.length + found.forward.length > 0
        ? { code: 250, enhanced: '2.1.5', text: `<${query.replace(/^<(.*)>$/, '$1')}>` }
        : { code: 550, enhanced: '5.1.1', text: 'No such user here' };
    };
  }
  if (enable.expand) {
    commands.expand = async (list) => {
      const found = await resolve(list);
      return found ? [...found.local.map((t) => t.user), ...found.forward] : null;
    };
  }
  return commands;
}
