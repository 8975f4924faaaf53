/** What an invoker may call, in one line, for npm start's banner and watch mode's reload lines. */
import type { IamUserPrincipal } from '../iam/principal';

/** "may invoke $default/GET/*" from the Allow statements' resources, plus what else applies. */
export function grantsOf(principal: IamUserPrincipal, executionArn: string): string {
  const allowed = principal.identityPolicies
    .flatMap((p) => [p.document.Statement].flat() as Array<{ Effect?: unknown; Resource?: unknown }>)
    .filter((s) => s && s.Effect === 'Allow')
    .flatMap((s) => [s.Resource ?? []].flat())
    .map((arn) => String(arn).replace(`${executionArn}/`, ''));
  const extras = [
    principal.groups.length > 0 ? `groups ${principal.groups.join(', ')}` : '',
    principal.permissionsBoundary ? `boundary ${principal.permissionsBoundary.name}` : '',
    principal.identityPolicies.some((p) => [p.document.Statement].flat().some((s) => (s as { Effect?: unknown })?.Effect === 'Deny')) ? 'with Deny statements' : '',
  ].filter(Boolean);
  return `may invoke ${allowed.join(', ') || 'nothing'}${extras.length > 0 ? ` (${extras.join('; ')})` : ''}`;
}
