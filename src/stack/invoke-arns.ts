/**
 * Turns an invoker's rules (`"GET /items/*"`) into the execute-api resource ARNs IAM matches
 * a request against: `<execution_arn>/<stage>/<METHOD>/<path without leading slash>`.
 * Route parameters (`{id}`, `{proxy+}`) become IAM's `*`, since a request's ARN carries the
 * concrete path. Never a bare `*`: every ARN is rooted in this API and stage.
 */
import { STAGE_NAME } from '../config/defaults';
import { parseMethodAndPath } from '../config/resolve';
import type { InvokeRule } from '../config/types';

export function invokeArn(executionArn: string, rule: InvokeRule, stage = STAGE_NAME): string {
  const parsed = parseMethodAndPath(rule);
  if (!parsed) throw new Error(`invalid invoke rule ${JSON.stringify(rule)}; expected "METHOD /path"`);
  const path = parsed.path
    .slice(1)
    .split('/')
    .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '*' : segment))
    .join('/');
  return `${executionArn}/${stage}/${parsed.method}/${path}`;
}

/** The policy document allowing `execute-api:Invoke` on exactly the rules' ARNs. */
export function invokePolicyDocument(executionArn: string, rules: readonly InvokeRule[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'InvokeAllowedRoutes',
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: [...new Set(rules.map((rule) => invokeArn(executionArn, rule)))],
      },
    ],
  });
}
