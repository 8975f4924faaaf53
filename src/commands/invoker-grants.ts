/** What an invoker may call, in one line, for npm start's banner and watch mode's reload lines. */
import type { IamUserPrincipal } from '../iam/principal';

/** "may invoke $default/GET/*" from the Allow statements' resources, plus what else applies. */
export function grantsOf(principal: IamUserPrincipal, executionArn: string): string {
  const allows = principal.identityPolicies
    .flatMap((p) => [p.document.Statement].flat() as Array<{ Effect?: unknown; Action?: unknown; Resource?: unknown }>)
    .filter((s) => s && s.Effect === 'Allow');
  // sts:AssumeRole grants (on the stack's role invokers) are listed apart, by role name.
  const isAssume = (s: { Action?: unknown }): boolean => {
    const actions = [s.Action ?? []].flat().map(String);
    return actions.length > 0 && actions.every((a) => a.toLowerCase().startsWith('sts:'));
  };
  const allowed = allows
    .filter((s) => !isAssume(s))
    .flatMap((s) => [s.Resource ?? []].flat())
    .map((arn) => String(arn).replace(`${executionArn}/`, ''));
  const assumable = allows.filter(isAssume).flatMap((s) => [s.Resource ?? []].flat()).map((arn) => String(arn).replace(/^arn:[^:]*:iam::[^:]*:role\/(?:.*\/)?/, ''));
  const extras = [
    assumable.length > 0 ? `may assume ${assumable.join(', ')}` : '',
    principal.groups.length > 0 ? `groups ${principal.groups.join(', ')}` : '',
    principal.permissionsBoundary ? `boundary ${principal.permissionsBoundary.name}` : '',
    principal.identityPolicies.some((p) => [p.document.Statement].flat().some((s) => (s as { Effect?: unknown })?.Effect === 'Deny')) ? 'with Deny statements' : '',
  ].filter(Boolean);
  return `may invoke ${allowed.join(', ') || 'nothing'}${extras.length > 0 ? ` (${extras.join('; ')})` : ''}`;
}
