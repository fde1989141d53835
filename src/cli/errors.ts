/**
 * The command line's user error: a ToaError (src/errors.ts) with the code USAGE unless told
 * otherwise. EXIT is re-exported here for the commands.
 */
import { EXIT, ToaError } from '../errors.js';

export { EXIT, ToaError } from '../errors.js';

/** A condition the user can fix: printed as one line plus a hint line, never a stack trace. */
export class UserError extends ToaError {
  constructor(message: string, hint: string, exitCode: number = EXIT.USAGE, code = 'USAGE') {
    super(code, message, hint, exitCode);
    this.name = 'UserError';
  }
}
