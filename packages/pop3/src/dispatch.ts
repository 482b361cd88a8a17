import { COMMANDS } from './commands/index.ts';
import type { CommandContext, Pop3Command } from './commands/types.ts';

/** RFC 2449 §4: a command line is at most 255 octets including its CRLF. */
export const MAX_COMMAND_OCTETS = 255;

export type Parsed =
  | { kind: 'command'; command: Pop3Command; args: string[] }
  | { kind: 'bad'; text: string };

/** Turns one line into a command the current state allows, or the reason it is not one. */
export function parseCommand(line: string, state: CommandContext['state']['name']): Parsed {
  const space = line.indexOf(' ');
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const rest = space < 0 ? '' : line.slice(space + 1);
  if (!verb) return { kind: 'bad', text: 'empty command' };
  const command = COMMANDS.get(verb);
  if (!command) return { kind: 'bad', text: 'unknown command' };
  if (!command.states.includes(state)) return { kind: 'bad', text: `${verb} not valid in this state` };
  const args = command.restOfLine ? (rest ? [rest] : []) : rest.split(' ').filter((a) => a !== '');
  if (args.length < command.minArgs || args.length > command.maxArgs) {
    return { kind: 'bad', text: `wrong number of arguments for ${verb}` };
  }
  return { kind: 'command', command, args };
}
