/** The cdktf commands `npm run deploy|diff|destroy` wrap, and how they are called. */
export const CDKTF_COMMANDS = ['deploy', 'diff', 'destroy'] as const;
export type CdktfCommand = (typeof CDKTF_COMMANDS)[number];

export function isCdktfCommand(value: string | undefined): value is CdktfCommand {
  return (CDKTF_COMMANDS as readonly string[]).includes(value ?? '');
}

/** cdktf's arguments for `command` on `stacks` (already synthesized). */
export function cdktfArgs(command: CdktfCommand, stacks: readonly string[], extra: readonly string[]): string[] {
  return [command, '--skip-synth', ...stacks, ...extra];
}
