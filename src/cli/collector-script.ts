import type { Command } from 'commander';

/** `toa-doctor collector-script` — placeholder until its issue lands. */
export function register(_program: Command): void {}
