/**
 * Exit codes (README "Exit codes"):
 *   0  ran, no error finding
 *   1  ran, at least one error finding (read/host/live/bundle)
 *   2  usage or input error (bad flag, missing/corrupt file, no such interface, no permission)
 *   3  internal error (a bug: please report)
 */
export const EXIT = { OK: 0, FINDINGS: 1, USAGE: 2, INTERNAL: 3 } as const;

/** A condition the user can fix: printed as one line plus a hint line, never a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
