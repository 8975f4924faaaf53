/**
 * Environment variables the commands read (`PORT`, `PAGE_PORT`): each is checked as written
 * and refused with one line naming the variable and what it may be.
 */

/** A variable's value is not one the command accepts; the message says what is. */
export class EnvValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvValueError';
  }
}

/** `NAME=value` as the user would type it; quoted (JSON) when it has spaces, quotes or control characters. */
export function shownEnv(name: string, text: string): string {
  return `${name}=${/^[\x21-\x7e]+$/.test(text) && !/["'\\]/.test(text) ? text : JSON.stringify(text)}`;
}

/**
 * The port `text` (the value of variable `name`) names: decimal digits only, 0 to 65535, where
 * 0 asks the system for any free port; `fallback` when unset or empty. No sign, spaces,
 * exponent, fraction or hex: `Number()` would read `0x10`, `1e3` and ` 3436` as ports.
 */
export function portFromEnv(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) {
    throw new EnvValueError(`${shownEnv(name, text)} is not a port number; use a whole number from 1 to 65535 (or 0 for any free port), e.g. ${name}=${fallback}`);
  }
  return Number(text);
}
