import type { Command } from 'commander';

/** `toa-doctor live` — placeholder until its issue lands. */
export function register(_program: Command): void {}
