/**
 * The CLI's entry: parses the command and runs it. Returns the exit status instead of
 * exiting, so the output is flushed; a CliError is one message on stderr, anything else keeps
 * its stack trace. bin/iam-http-api.js loads this file bundled (see there why).
 */
import { parseCommand, USAGE } from './args';
import { call, type Context } from './call';
import { CliError, EXIT } from './errors';
import { keys } from './keys';
import { webToken } from './web-token';
import type { Output } from './show';

export const processOutput: Output = {
  stdout: (chunk) => void process.stdout.write(chunk),
  stderr: (text) => void process.stderr.write(text),
};

export async function main(argv: readonly string[], root: string, out: Output = processOutput): Promise<number> {
  const context: Context = { root, cwd: process.cwd(), env: process.env, out };
  try {
    const command = parseCommand(argv);
    switch (command.kind) {
      case 'help':
        out.stdout(USAGE);
        return EXIT.ok;
      case 'call':
        return await call(command, context);
      case 'keys':
        return await keys(command, context);
      case 'web-token':
        return await webToken(command, context);
    }
  } catch (error) {
    if (error instanceof CliError) {
      out.stderr(`${error.message}\n`);
      return error.exitCode;
    }
    out.stderr(`${error instanceof Error ? error.stack : String(error)}\n`);
    return EXIT.usage;
  }
}
