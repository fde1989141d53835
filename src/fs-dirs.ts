/**
 * `mkdir -p` that always ends. Node's fs.mkdir(path, { recursive: true }) (nodejs/node
 * src/node_file.cc MKDirpSync / MKDirpAsync) takes ENOENT from mkdir(2) to mean "the parent is
 * missing", creates the parent (EEXIST: fine) and retries the child, forever when the parent exists
 * but cannot hold the child: procfs answers ENOENT for any new name (`host --save /proc/x` spun at
 * 100 % CPU), and so does a dangling symbolic link. Here the missing directories are found first
 * (stat walking up), then made one by one, so an ENOENT after its parent exists is final and
 * reaches the caller as the errno it is. A leaf module (node: imports only).
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export async function makeDirs(path: string): Promise<void> {
  const missing: string[] = [];
  for (let p = resolve(path); ; ) {
    try {
      if (!(await stat(p)).isDirectory())
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${p}'`), {
          code: 'ENOTDIR',
          path: p,
          syscall: 'mkdir',
        });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
    }
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (e) {
      // made meanwhile by someone else: fine when it is a directory (a dangling link is not)
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !(await isDir(d))) throw e;
    }
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
