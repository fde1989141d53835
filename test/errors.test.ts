/** The one errno table (src/errors.ts): the same code gets the same words on every path. */
import { describe, expect, it } from 'vitest';
import {
  cannotListenText,
  cannotReadText,
  cannotWrite,
  cannotWriteText,
  errnoText,
  ToaError,
} from '../src/errors.js';

const errno = (code: string, message = `${code}: something`) => Object.assign(new Error(message), { code });

describe('errno table', () => {
  it('reads and writes say the same code in the same words, with a hint for the direction', () => {
    expect(errnoText(errno('EACCES'), 'read')).toMatchObject({
      code: 'PERMISSION_DENIED',
      words: 'permission denied',
    });
    expect(errnoText(errno('EACCES'), 'write').words).toBe('permission denied');
    expect(errnoText(errno('ENOENT'), 'read').words).toBe('no such file');
    expect(errnoText(errno('ENOENT'), 'write').words).toBe('no such directory');
    for (const code of [
      'ENOENT',
      'ENOTDIR',
      'EISDIR',
      'EACCES',
      'EPERM',
      'ELOOP',
      'EROFS',
      'ENOSPC',
      'EEXIST',
    ])
      for (const op of ['read', 'write'] as const)
        expect(errnoText(errno(code), op).hint.length).toBeGreaterThan(8);
  });

  it('an unknown errno keeps its own text and still has a hint', () => {
    const t = cannotReadText('/x', errno('EIO', 'EIO: i/o error, read'));
    expect(t).toEqual({
      code: 'READ_ERROR',
      message: '/x: cannot read (EIO: EIO: i/o error, read)',
      hint: expect.any(String),
    });
    expect(cannotWriteText('/x', errno('EIO', 'EIO: i/o error')).message).toBe(
      '/x: cannot write (EIO: EIO: i/o error)',
    );
  });

  it('one phrasing of a failed write', () => {
    expect(cannotWriteText('out.pcap', errno('ENOENT'), '-w')).toEqual({
      code: 'WRITE_ERROR',
      message: 'out.pcap: cannot write (no such directory)',
      hint: 'create the directory first, or choose another path for -w',
    });
    const e = cannotWrite('r.html', errno('EACCES'), '--html');
    expect(e).toBeInstanceOf(ToaError);
    expect([e.message, e.hint, e.exitCode]).toEqual([
      'r.html: cannot write (permission denied)',
      'choose a writable path for --html',
      2,
    ]);
  });

  it('a caller may give its own hint for some errnos', () => {
    expect(cannotReadText('c.pcap', errno('ENOENT'), { ENOENT: 'use - for stdin' }).hint).toBe(
      'use - for stdin',
    );
    expect(cannotReadText('c.pcap', errno('EACCES'), { ENOENT: 'use - for stdin' }).hint).toMatch(
      /permission/,
    );
  });

  it('a failed listen names the address and the cause, with a hint; an unknown errno keeps its text', () => {
    expect(cannotListenText('127.0.0.1:9877', errno('EADDRINUSE'))).toEqual({
      code: 'LISTEN_ERROR',
      message: 'cannot listen on 127.0.0.1:9877: the address is in use',
      hint: expect.stringContaining('--listen'),
    });
    expect(cannotListenText('[::1]:80', errno('EACCES')).hint).toContain('CAP_NET_BIND_SERVICE');
    expect(cannotListenText('10.9.9.9:1', errno('EADDRNOTAVAIL')).message).toMatch(
      /no interface has this address$/,
    );
    const other = cannotListenText('127.0.0.1:1', errno('EMFILE', 'EMFILE: too many open files'));
    expect(other.message).toBe('cannot listen on 127.0.0.1:1: EMFILE: too many open files');
    expect(other.hint.length).toBeGreaterThan(5);
  });
});
