/**
 * `STACK=` picks environments in every command: one name (`STACK=prod`) or several
 * (`STACK=dev,prod`), checked against iam-http-api.config.ts.
 */
import { STACK_NAME } from '../gateway/stack-json';
import { shownEnv } from './env-value';

export class StackSelectionError extends Error {}

/**
 * The environments `STACK` names, in its order; all configured ones when it is empty and
 * `required` is false. Throws StackSelectionError naming the unknown names and the known ones.
 */
export function selectStacks(stackVar: string | undefined, configured: readonly string[], usage: { required: boolean; example: string }): string[] {
  const picked = (stackVar ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (picked.length === 0) {
    if (usage.required) throw new StackSelectionError(`STACK is not set: say which environment, e.g. ${usage.example} (have ${configured.join(', ')})`);
    return [...configured];
  }
  const unknown = picked.filter((s) => !configured.includes(s));
  if (unknown.length > 0) {
    throw new StackSelectionError(`STACK: no environment ${unknown.map((u) => JSON.stringify(u)).join(', ')} in iam-http-api.config.ts; have ${configured.join(', ')}`);
  }
  return [...new Set(picked)];
}

/**
 * The one stack `STACK` names for a command that serves or reads a single synthesized stack
 * (`npm start`), `fallback` when it is unset or empty. Only a plain name is accepted, so
 * `cdktf.out/stacks/<name>` stays inside cdktf.out; throws StackSelectionError otherwise.
 */
export function oneStack(stackVar: string | undefined, fallback: string, command: string): string {
  if (stackVar === undefined || stackVar === '') return fallback;
  if (!STACK_NAME.test(stackVar)) {
    throw new StackSelectionError(`${shownEnv('STACK', stackVar)} is not a stack name; ${command} serves one stack, named with letters, digits, - and _ as in iam-http-api.config.ts, e.g. STACK=${fallback}`);
  }
  return stackVar;
}
