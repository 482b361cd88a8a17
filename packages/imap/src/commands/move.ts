import { transfer } from './copy.ts';
import type { CommandHandler } from './types.ts';

export const move: CommandHandler<'MOVE'> = {
  name: 'MOVE',
  states: ['selected'],
  handle: (ctx, cmd) => transfer(ctx, cmd, 'MOVE'),
};
