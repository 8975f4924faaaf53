/**
 * Reading an STS Query-API request (`Action=AssumeRole&Version=2011-06-15&…`, in a
 * form-encoded POST body or the query string) and checking its parameters as STS does, with
 * AWS's error codes and texts.
 *
 * Sources of the texts:
 *  [validation]  AWS's model-validation messages, "N validation error(s) detected: Value 'v' at
 *                'member' failed to satisfy constraint: …; …", as STS answers them, e.g.
 *                https://github.com/zalando-stups/aws-credentials-service/issues/7 ("1 validation
 *                error detected: Value 'PowerUser/hjacobs' at 'roleSessionName' failed to satisfy
 *                constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"),
 *                https://github.com/getmoto/moto/issues/9218 ("… at 'roleSessionName' failed to
 *                satisfy constraint: Member must have length less than or equal to 64"), and the
 *                durationSeconds bounds quoted by clients handling them ("Value '123' at
 *                'durationSeconds' failed to satisfy constraint: Member must have value greater
 *                than or equal to 900"; "… less than or equal to 43200").
 *  [max-session] https://github.com/kreuzwerker/awsu/issues/27: "ValidationError: The requested
 *                DurationSeconds exceeds the MaxSessionDuration set for this role."
 *  [chaining]    AWS STS API Reference, AssumeRole, DurationSeconds: "if you assume a role using
 *                role chaining and provide a DurationSeconds parameter value greater than one
 *                hour, the operation fails"; the text, as quoted by users: "The requested
 *                DurationSeconds exceeds the 1 hour session limit for roles assumed by role
 *                chaining."
 *  [api-ref]     AWS STS API Reference, AssumeRole request parameters
 *                (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html): RoleArn
 *                20–2048, RoleSessionName 2–64 `[\w+=,.@-]*`, DurationSeconds 900–43200, Policy
 *                1–2048, ExternalId 2–1224 `[\w+=,.@:\/-]*`, SourceIdentity 2–64 `[\w+=,.@-]*`,
 *                Tags at most 50, tag keys 1–128, values 0–256.
 * Unconfirmed (our choice, same form): the text for a DurationSeconds that is not a number, and
 * MalformedPolicyDocument's text for a Policy that is not JSON.
 */
import { compilePolicy } from '../iam/parse-policy';
import type { PolicyDocument } from '../iam/principal';
import type { GatewayError } from './errors';

/** An STS error answer: status, AWS's code and message. */
export class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = 'StsError';
  }
}

export const STS_VERSION = '2011-06-15';

/**
 * The parameters of a Query request: the query string's, then the form body's (a POST with
 * `application/x-www-form-urlencoded`). A later value of the same name wins.
 */
export function queryParameters(rawQuery: string, body: Buffer, contentType: string | undefined): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(rawQuery)) parameters.set(key, value);
  if (body.length > 0 && /^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) parameters.set(key, value);
  }
  return parameters;
}

/** `Action`, checked: one of `supported`, else AWS's InvalidAction. */
export function actionOf(parameters: ReadonlyMap<string, string>, supported: readonly string[]): string {
  const action = parameters.get('Action');
  if (action === undefined || action === '') throw new StsError(400, 'MissingAction', 'Missing Action');
  if (!supported.includes(action)) throw new StsError(400, 'InvalidAction', `Could not find operation ${action} for version ${parameters.get('Version') ?? STS_VERSION}`);
  return action;
}

export interface AssumeRoleRequest {
  readonly roleArn: string;
  readonly roleSessionName: string;
  /** Absent: 3600 (AWS's default). */
  readonly durationSeconds?: number;
  readonly policy?: PolicyDocument;
  readonly tags: Readonly<Record<string, string>>;
  /** `TransitiveTagKeys.member.N`: keys of `tags` (case-insensitively) that pass on in a role chain. */
  readonly transitiveTagKeys: readonly string[];
  /** `PolicyArns.member.N.arn`: managed session policies, by ARN, in order. */
  readonly policyArns: readonly string[];
  readonly externalId?: string;
  readonly sourceIdentity?: string;
}

const SESSION_NAME_PATTERN = '[\\w+=,.@-]*';
const EXTERNAL_ID_PATTERN = '[\\w+=,.@:\\/-]*';
const SOURCE_IDENTITY_PATTERN = '[\\w+=,.@-]*';
const TAG_PATTERN = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*';

/** `1 validation error detected: …`, `2 validation errors detected: …; …` [validation] */
export function validationError(problems: readonly string[]): StsError {
  return new StsError(400, 'ValidationError', `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
}

/**
 * `DurationSeconds`, when given: an integer from 900 to `max` (AssumeRole 43,200, GetSessionToken
 * 129,600), else its validation messages are added to `problems` [validation].
 */
export function readDurationSeconds(parameters: ReadonlyMap<string, string>, max: number, problems: string[]): number | undefined {
  const text = parameters.get('DurationSeconds');
  if (text === undefined) return undefined;
  if (!/^-?[0-9]{1,10}$/.test(text)) {
    problems.push(`Value '${text}' at 'durationSeconds' failed to satisfy constraint: Member must be a valid integer`);
    return undefined;
  }
  const seconds = Number(text);
  if (seconds < 900) problems.push(`Value '${seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
  else if (seconds > max) problems.push(`Value '${seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  return seconds;
}

/** Reads and checks AssumeRole's parameters (throws ValidationError / MalformedPolicyDocument). */
export function parseAssumeRole(parameters: ReadonlyMap<string, string>): AssumeRoleRequest {
  const problems: string[] = [];
  const value = (v: string | undefined): string => (v === undefined ? 'null' : `'${v}'`);
  const check = (member: string, v: string | undefined, rule: { required?: boolean; min?: number; max?: number; pattern?: string; flags?: string }): void => {
    if (v === undefined) {
      if (rule.required) problems.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
      return;
    }
    const length = [...v].length;
    if (rule.min !== undefined && length < rule.min) problems.push(`Value ${value(v)} at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && length > rule.max) problems.push(`Value ${value(v)} at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`);
    if (rule.pattern !== undefined && !new RegExp(`^(?:${rule.pattern})$`, rule.flags ?? '').test(v)) problems.push(`Value ${value(v)} at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rule.pattern}`);
  };
  const roleArn = parameters.get('RoleArn');
  const roleSessionName = parameters.get('RoleSessionName');
  check('roleArn', roleArn, { required: true, min: 20, max: 2048 });
  check('roleSessionName', roleSessionName, { required: true, min: 2, max: 64, pattern: SESSION_NAME_PATTERN });
  const durationSeconds = readDurationSeconds(parameters, 43_200, problems);
  const policyText = parameters.get('Policy');
  check('policy', policyText, { min: 1, max: 2048 });
  const externalId = parameters.get('ExternalId');
  check('externalId', externalId, { min: 2, max: 1224, pattern: EXTERNAL_ID_PATTERN });
  const sourceIdentity = parameters.get('SourceIdentity');
  check('sourceIdentity', sourceIdentity, { min: 2, max: 64, pattern: SOURCE_IDENTITY_PATTERN });

  // PolicyArns.member.N.arn, N from 1: at most 10, each 20–2048 characters [api-ref].
  const policyArns = members(parameters, 'PolicyArns', '.arn');
  if (policyArns.length > 10) problems.push(`Value '[${policyArns.length} policy ARNs]' at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10`);
  policyArns.forEach(([n, arn]) => check(`policyArns.${n}.member.arn`, arn, { required: true, min: 20, max: 2048 }));
  // TransitiveTagKeys.member.N: at most 50, each a tag key [api-ref].
  const transitive = members(parameters, 'TransitiveTagKeys', '');
  if (transitive.length > 50) problems.push(`Value '[${transitive.length} keys]' at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to 50`);
  transitive.forEach(([n, key]) => check(`transitiveTagKeys.${n}.member`, key, { required: true, min: 1, max: 128, pattern: TAG_PATTERN, flags: 'u' }));

  // Tags.member.N.Key / Tags.member.N.Value, N from 1.
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  const tagNumbers = new Set<number>();
  for (const key of parameters.keys()) {
    const match = /^Tags\.member\.([1-9][0-9]*)\.(Key|Value)$/.exec(key);
    if (match) tagNumbers.add(Number(match[1]));
  }
  if (tagNumbers.size > 50) problems.push(`Value '[${tagNumbers.size} tags]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50`);
  for (const n of [...tagNumbers].sort((a, b) => a - b)) {
    const key = parameters.get(`Tags.member.${n}.Key`);
    const tagValue = parameters.get(`Tags.member.${n}.Value`);
    check(`tags.${n}.member.key`, key, { required: true, min: 1, max: 128, pattern: TAG_PATTERN, flags: 'u' });
    check(`tags.${n}.member.value`, tagValue, { required: true, max: 256, pattern: TAG_PATTERN, flags: 'u' });
    if (key !== undefined && tagValue !== undefined) {
      // Tag keys are case-insensitive in AWS: two that differ only in case are refused.
      if (Object.keys(tags).some((k) => k.toLowerCase() === key.toLowerCase())) {
        throw new StsError(400, 'InvalidParameterValue', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
      }
      // "You cannot create a tag key or value that begins with the text aws:. This tag prefix is
      // reserved for AWS internal use." (IAM User Guide, "Rules for tagging in IAM and AWS STS",
      // which covers assume-role sessions.) STS's code and text for it are unconfirmed: ours; the
      // prefix is compared regardless of case, the stricter reading.
      for (const [what, text] of [['key', key], ['value', tagValue]] as const) {
        if (text.toLowerCase().startsWith('aws:')) throw new StsError(400, 'InvalidParameterValue', `The session tag ${what} "${text}" begins with aws:, a prefix reserved for AWS internal use.`);
      }
      tags[key] = tagValue;
    }
  }
  if (problems.length > 0) throw validationError(problems);
  const transitiveTagKeys = transitive.map(([, key]) => key as string);
  for (const key of transitiveTagKeys) {
    // [session-tags] our wording (AWS's text unconfirmed): a transitive key must be a tag of the request.
    if (!Object.keys(tags).some((k) => k.toLowerCase() === key.toLowerCase())) {
      throw new StsError(400, 'InvalidParameterValue', 'The specified transitive tag key must be included in the requested tags.');
    }
  }

  let policy: PolicyDocument | undefined;
  if (policyText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(policyText);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      policy = parsed as PolicyDocument;
    } catch {
      throw new StsError(400, 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
    }
    // A session policy IAM would reject (a Principal, an unknown element, a bad Effect...) is refused
    // as AWS refuses it, not accepted as a policy that grants nothing (found by review). AWS's text
    // varies by problem and is unconfirmed beyond the code: the project's own description follows.
    const problems = compilePolicy({ name: 'Policy', source: 'session policy', document: policy }).errors;
    if (problems.length > 0) throw new StsError(400, 'MalformedPolicyDocument', `The policy document is malformed: ${problems[0]}`);
  }
  return {
    roleArn: roleArn as string,
    roleSessionName: roleSessionName as string,
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(policy ? { policy } : {}),
    tags,
    transitiveTagKeys,
    policyArns: policyArns.map(([, arn]) => arn as string),
    ...(externalId !== undefined ? { externalId } : {}),
    ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
  };
}

/**
 * The members of a Query-API list, `<name>.member.N<suffix>` with N from 1, in N's order: [N, value]
 * (a gap in the numbering is read as AWS's SDKs never send one: the values present, in order).
 */
function members(parameters: ReadonlyMap<string, string>, name: string, suffix: string): [number, string | undefined][] {
  const pattern = new RegExp(`^${name}\\.member\\.([1-9][0-9]*)${suffix.replace('.', '\\.')}$`);
  const numbers = new Set<number>();
  for (const key of parameters.keys()) {
    const match = pattern.exec(key);
    if (match) numbers.add(Number(match[1]));
  }
  return [...numbers].sort((a, b) => a - b).map((n) => [n, parameters.get(`${name}.member.${n}${suffix}`)]);
}

/** The role's limit, and the 1-hour limit of role chaining. [max-session] [chaining] */
export function checkDuration(durationSeconds: number, roleMaxSeconds: number, chained: boolean): void {
  if (chained && durationSeconds > 3600) throw new StsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  if (durationSeconds > roleMaxSeconds) throw new StsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
}

/**
 * A signature error of the gateway (errors.ts, API Gateway's JSON codes) as STS's Query API
 * names it: the same texts, with STS's codes (InvalidClientTokenId for an unknown key,
 * SignatureDoesNotMatch, IncompleteSignature, ExpiredToken; AWS STS API Reference, "Common
 * Errors": https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
 */
export function stsErrorOf(error: GatewayError): StsError {
  const code = ({
    UnrecognizedClientException: 'InvalidClientTokenId',
    InvalidSignatureException: 'SignatureDoesNotMatch',
    IncompleteSignatureException: 'IncompleteSignature',
    ExpiredTokenException: 'ExpiredToken',
    AccessDeniedException: 'AccessDenied',
  } as Record<string, string>)[error.errorType ?? ''];
  return new StsError(error.status, code ?? 'InvalidRequest', error.message);
}

/** No signature at all: STS's MissingAuthenticationToken (Common Errors). */
export function missingAuthentication(): StsError {
  return new StsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
}

/** AWS's AccessDenied for AssumeRole: "User: <caller> is not authorized to perform: <action> on resource: <role>". */
export function assumeRoleDenied(callerArn: string, action: string, roleArn: string): StsError {
  return new StsError(403, 'AccessDenied', `User: ${callerArn} is not authorized to perform: ${action} on resource: ${roleArn}`);
}
