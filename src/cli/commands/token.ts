import { type Command, EXIT_INVALID, writeLine } from '../io.js';

// Placeholder until its issue lands; replaced by the real command.
export const run: Command = async (_args, io) => {
  writeLine(io.stderr, 'medic token: not implemented yet');
  return EXIT_INVALID;
};
