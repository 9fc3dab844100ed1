/**
 * Errors a user sees when configuration is wrong. Both render as exactly one line.
 */

/**
 * A problem in a configuration file, with where it is.
 * `message` is `file:line:col: problem (expected)`; line and col are 1-based.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** What is wrong, without the location (e.g. `hosts[1].tier "x" is not a defined tier`). */
  readonly problem: string;
  /** What was expected, or null when there is nothing useful to say. */
  readonly expected: string | null;

  constructor(file: string, line: number, col: number, problem: string, expected: string | null = null) {
    const what = oneLine(expected === null ? problem : `${problem} (${expected})`);
    super(`${file}:${line}:${col}: ${what}`);
    this.file = file;
    this.line = line;
    this.col = col;
    this.problem = problem;
    this.expected = expected;
  }
}

/**
 * A value that does not have the expected format (a duration, a size, an address).
 * Thrown by the unit parsers, which the CLI uses too; config wraps it in a ConfigError.
 */
export class ValueFormatError extends Error {
  override readonly name = 'ValueFormatError';
  readonly problem: string;
  readonly expected: string;

  constructor(problem: string, expected: string) {
    super(oneLine(`${problem} (${expected})`));
    this.problem = problem;
    this.expected = expected;
  }
}

/** Collapses line breaks so that an error can never span lines. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
