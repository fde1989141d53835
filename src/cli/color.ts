/**
 * The one colour rule, for every output (text report, print, host, the live dashboard):
 * colours only on a terminal, and never with `--no-color` or when NO_COLOR is set to a non-empty
 * value (https://no-color.org: "when present and not an empty string (regardless of its value),
 * prevents the addition of ANSI color"). README "Colours" documents it.
 */
export function colorEnabled(
  flag: boolean | undefined,
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}
