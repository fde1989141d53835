/**
 * The one error shape a user sees, and the one table that turns an errno code into words.
 *
 * A leaf module (it imports nothing), so every area can throw the same class without importing
 * src/cli: src/cli/errors.ts (UserError), src/capture/types.ts (CaptureError) and
 * src/probe/errors.ts (ProbeError) extend ToaError. src/cli/main.ts fail() is the only printer:
 * `toa-doctor: <message>` and `  hint: <hint>`, then exit with `exitCode`.
 *
 * The errno words follow Node's fs error codes (libuv uv_err_name(), the POSIX errno names of
 * open(2), write(2) and stat(2)); a read and a write say the same code in the same words, with a
 * hint that fits the direction.
 */

/**
 * Exit codes (README "Exit codes"):
 *   0  ran, no error finding
 *   1  ran, at least one error finding (read/host/live/bundle)
 *   2  usage or input error (bad flag, missing/corrupt file, no such interface, no permission)
 *   3  internal error (a bug: please report)
 */
export const EXIT = { OK: 0, FINDINGS: 1, USAGE: 2, INTERNAL: 3 } as const;

/**
 * A condition the user can fix: a stable `code`, a one-line `message` and a `hint` that says what
 * to do (required: every error a user sees comes with one). Printed by src/cli/main.ts fail() as
 * two lines, never with a stack trace.
 */
export class ToaError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
    this.name = 'ToaError';
  }
}

export type FileOp = 'read' | 'write';

interface ErrnoRow {
  /** the code a ToaError carries for it */
  code: string;
  read: readonly [words: string, hint: string];
  write: readonly [words: string, hint: string];
}

const WRITABLE = 'choose a writable path';

/** errno → words and hint, for reading and for writing a path */
const ERRNO: Record<string, ErrnoRow> = {
  ENOENT: {
    code: 'NO_SUCH_FILE',
    read: ['no such file', 'check the path'],
    write: ['no such directory', 'create the directory first, or choose another path'],
  },
  ENOTDIR: {
    code: 'NO_SUCH_FILE',
    read: ['no such file (a parent is not a directory)', 'check the path'],
    write: ['no such directory (a parent is not a directory)', 'check the path'],
  },
  EISDIR: {
    code: 'IS_DIRECTORY',
    read: ['is a directory', 'give a file, not a directory'],
    write: ['is a directory', 'name a file inside it, or choose another path'],
  },
  EACCES: {
    code: 'PERMISSION_DENIED',
    read: ['permission denied', 'check the file permissions, or run as a user who may read it'],
    write: ['permission denied', WRITABLE],
  },
  EPERM: {
    code: 'PERMISSION_DENIED',
    read: ['permission denied', 'check the file permissions, or run as a user who may read it'],
    write: ['permission denied', WRITABLE],
  },
  ELOOP: {
    code: 'NO_SUCH_FILE',
    read: ['too many symbolic links', 'check the path'],
    write: ['too many symbolic links', 'check the path'],
  },
  EROFS: {
    code: 'READ_ONLY',
    read: ['read-only file system', 'check the path'],
    write: ['read-only file system', WRITABLE],
  },
  ENOSPC: {
    code: 'NO_SPACE',
    read: ['no space left on the device', 'free some space'],
    write: ['no space left on the device', 'free some space, or choose another path'],
  },
  EEXIST: {
    code: 'EXISTS',
    read: ['already exists', 'check the path'],
    write: ['already exists', 'remove it or choose another path'],
  },
};

export interface ErrnoText {
  /** the ToaError code: NO_SUCH_FILE, PERMISSION_DENIED, ... or READ_ERROR / WRITE_ERROR */
  code: string;
  /** the few words a message ends with: `no such file`, `permission denied` */
  words: string;
  hint: string;
  /** the errno itself (ENOENT...), when the error had one */
  errno: string | undefined;
}

/** The words and hint for a failed file-system call on `op`; unknown errors keep their own text. */
export function errnoText(err: unknown, op: FileOp): ErrnoText {
  const e = err as NodeJS.ErrnoException | null | undefined;
  const errno = typeof e?.code === 'string' ? e.code : undefined;
  const row = errno ? ERRNO[errno] : undefined;
  if (row) {
    const [words, hint] = row[op];
    return { code: row.code, words, hint, errno };
  }
  const detail = [errno, e?.message].filter((s) => s).join(': ') || String(err);
  return {
    code: op === 'read' ? 'READ_ERROR' : 'WRITE_ERROR',
    words: detail,
    hint: op === 'read' ? 'check the path and the file permissions' : WRITABLE,
    errno,
  };
}

/** true when `err` is a file-system error this table has words for */
export function isKnownErrno(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' && code in ERRNO;
}

export interface ErrorText {
  code: string;
  message: string;
  hint: string;
}

/**
 * `PATH: cannot write (permission denied)`: the one phrasing of a failed write (code WRITE_ERROR).
 * `option` names the option that chose the path, for the hint: `choose a writable path for -w`.
 */
export function cannotWriteText(path: string, err: unknown, option?: string): ErrorText {
  const t = errnoText(err, 'write');
  return {
    code: 'WRITE_ERROR',
    message: `${path}: cannot write (${t.words})`,
    hint: option ? `${t.hint} for ${option}` : t.hint,
  };
}

/**
 * `PATH: no such file`, `PATH: permission denied`, or `PATH: cannot read (EIO: ...)` for an errno the
 * table does not know. `hints` replaces the table's hint for some errnos (what a capture reader or
 * a bundle reader would say), `otherHint` the hint for the rest.
 */
export function cannotReadText(
  path: string,
  err: unknown,
  hints: Readonly<Record<string, string>> = {},
  otherHint?: string,
): ErrorText {
  const t = errnoText(err, 'read');
  const known = t.code !== 'READ_ERROR';
  return {
    code: t.code,
    message: known ? `${path}: ${t.words}` : `${path}: cannot read (${t.words})`,
    hint: (t.errno !== undefined ? hints[t.errno] : undefined) ?? (known ? t.hint : (otherHint ?? t.hint)),
  };
}

/** cannotWriteText() as a ToaError, for callers that have no error class of their own */
export function cannotWrite(path: string, err: unknown, option?: string): ToaError {
  const t = cannotWriteText(path, err, option);
  return new ToaError(t.code, t.message, t.hint);
}

/**
 * errno → words and hint for a failed listen(2)/bind(2) (Node's net.Server 'error' codes): the
 * exporter's `--listen`. Kept here beside the file table so every errno a user reads has one home.
 */
const LISTEN_ERRNO: Record<string, readonly [words: string, hint: string]> = {
  EADDRINUSE: [
    'the address is in use',
    'is another exporter running? pick a free port: --listen 127.0.0.1:9878',
  ],
  EACCES: ['permission denied', 'ports below 1024 need CAP_NET_BIND_SERVICE; use a port above 1023'],
  EADDRNOTAVAIL: [
    'no interface has this address',
    'listen on an address of this host, e.g. --listen 127.0.0.1:9877',
  ],
};

/** `cannot listen on ADDR: the address is in use` (code LISTEN_ERROR); unknown errors keep their text */
export function cannotListenText(address: string, err: unknown): ErrorText {
  const e = err as NodeJS.ErrnoException | null | undefined;
  const row = typeof e?.code === 'string' ? LISTEN_ERRNO[e.code] : undefined;
  const [words, hint] = row ?? [e?.message ?? String(err), 'check --listen'];
  return { code: 'LISTEN_ERROR', message: `cannot listen on ${address}: ${words}`, hint };
}
