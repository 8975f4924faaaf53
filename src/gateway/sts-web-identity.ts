/**
 * AssumeRoleWithWebIdentity for the local STS (sts-server.ts): an OIDC ID token (a JWT) for a
 * session of a role whose trust policy names the token's OIDC provider. The request is not
 * signed (AWS STS API Reference, AssumeRoleWithWebIdentity: "Calling AssumeRoleWithWebIdentity
 * does not require the use of AWS security credentials"), so the token is the only proof.
 *
 * The token is verified as IAM verifies it, in this order:
 *  1. it is a JWT whose `iss` is an OIDC provider in the role's account: the stack's
 *     `aws_iam_openid_connect_provider`s, or GitHub's named by ARN in a trust policy
 *     (load-oidc-providers.ts);
 *  2. signed with RS256 (`alg` exactly; `none` and every other algorithm refused) by the issuer's
 *     key. The only issuer with a key here is the local stand-in for GitHub (oidc-issuer.ts): it
 *     uses GitHub's URL, but real GitHub tokens are refused, since GitHub's keys are not trusted;
 *  3. `exp` in the future, `nbf` and `iat` not in the future: no clock leeway (AWS documents none;
 *     the stricter choice, and both clocks are this machine's);
 *  4. an `aud` in the provider's client-id list;
 *  5. then the role's trust policy (trust-policy.ts) for `sts:AssumeRoleWithWebIdentity`, the
 *     caller being the provider (`Principal: { Federated: <provider ARN> }`), with the token's
 *     claims as condition keys `<issuer host>:sub` and `<issuer host>:aud`. Those two are what IAM
 *     provides for GitHub's tokens: "AWS does not support custom claims for OIDC" (GitHub,
 *     "Configuring OpenID Connect in Amazon Web Services"), so a condition on
 *     `token.actions.githubusercontent.com:repository` matches nothing, as in AWS. Other keys in
 *     the context: aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:SecureTransport,
 *     aws:RequestedRegion, aws:UserAgent, sts:RoleSessionName (none of the caller's: there is no
 *     IAM caller). aws:FederatedProvider is left out: no AWS text found saying trust policies see
 *     it, so a condition on it denies (the stricter choice).
 * Session: minted with the gateway's session key like AssumeRole's; DurationSeconds within the
 * role's maximum (no chaining: the caller is not a role session). `Policy` and `PolicyArns`
 * (customer managed policies of the stack) narrow the session.
 *
 * Error codes and texts (all Sender errors):
 *  [api-ref]   AWS STS API Reference, AssumeRoleWithWebIdentity, Errors
 *              (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html):
 *              InvalidIdentityToken, 400, "The web identity token that was passed could not be
 *              validated by AWS. Get a new identity token from the identity provider and then retry
 *              the request." (a malformed token, a bad signature, alg none, an unknown key, a token
 *              not yet valid); ExpiredTokenException, 400. Parameter limits: WebIdentityToken
 *              4–20000; RoleArn, RoleSessionName, DurationSeconds, Policy as AssumeRole's.
 *  [no-idp]    InvalidIdentityToken "No OpenIDConnect provider found in your account for <iss>"
 *              (aws-actions/configure-aws-credentials#721, mozilla-iam/mozilla-aws-cli#127).
 *  [audience]  InvalidIdentityToken "Incorrect token audience" (awslabs/amazon-eks-irsa-cfn#18,
 *              aws-actions/configure-aws-credentials#775).
 *  [claim]     InvalidIdentityToken "Missing a required claim: aud" (aws/aws-sdk-ruby#2698); the
 *              same words for iss, sub and exp (our extension).
 *  [key]       InvalidIdentityToken "Couldn't retrieve verification key from your identity provider."
 *              (re:Post knowledge center, iam-sts-invalididentitytoken): a provider of the stack
 *              whose keys the local STS does not have (any issuer but the local GitHub stand-in).
 *  [expired]   ExpiredTokenException "Token expired: current date/time 1731098245 must be before
 *              the expiration date/time 1731095240" (aws/aws-sdk-java-v2#5709; epoch seconds).
 *  [denied]    AccessDenied, 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"
 *              (aws/aws-sdk-net#1522, aws-actions/configure-aws-credentials#1293): also for a role
 *              that is not in the stack, so callers cannot probe for roles.
 *  [response]  AssumeRoleWithWebIdentityResult: Credentials, SubjectFromWebIdentityToken (the `sub`),
 *              AssumedRoleUser, Provider (the provider's ARN, as AWS answers for an IAM OIDC
 *              provider: spiffe/spiffe.io#110 shows "Provider":
 *              "arn:aws:iam::012345678901:oidc-provider/spire-oidc.example.org"), Audience.
 * Our choice (no AWS text found): ProviderId is refused (AWS: "Do not specify this value for
 * OpenID Connect ID tokens"). PolicyArns and PackedPolicySize as AssumeRole has them
 * (sts-assume-role.ts, packed-policy.ts).
 */
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { PolicyDocument } from '../iam/principal';
import type { ContextValue } from '../iam/decide';
import { decideAssumeRole } from '../iam/trust-policy';
import { knownOidcProviders, oidcProvidersOfStack, providerArn, providerHost, type OidcProvider } from './load-oidc-providers';
import type { LoadedStack } from './load-stack';
import type { RoleDefinition } from './load-roles';
import { checkPackedPolicySize, packedPolicySize } from './packed-policy';
import { decodeJwt, discoveryDocument, jwks, readOidcKey, LOCAL_ISSUER_URL, signedBy, type OidcIssuerKey } from './oidc-issuer';
import { mintSession, type SessionCredentials } from './session-tokens';
import { checkDuration, parseAssumeRole, StsError, validationError } from './sts-query';
import { isoSeconds, STS_NAMESPACE, xmlEscape } from './sts-xml';

export const WEB_IDENTITY_ACTION = 'AssumeRoleWithWebIdentity';

const NOT_VALIDATED = 'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.';

export interface WebIdentityRequestFacts {
  readonly stack: LoadedStack;
  /** The stack's `aws_iam_openid_connect_provider`s (load-oidc-providers.ts). */
  readonly stackProviders: readonly OidcProvider[];
  /** The local issuer's key; undefined when the STS has none (then no token verifies). */
  readonly issuerKey: OidcIssuerKey | undefined;
  readonly sessionKey: Buffer;
  readonly now: Date;
  readonly sourceIp: string;
  readonly userAgent?: string;
  /** Why a request was denied, one line (never the token). */
  readonly log?: (line: string) => void;
}

export interface WebIdentityAnswer {
  readonly xml: string;
  /** The token's `sub`, for the access log. */
  readonly subject: string;
}

function invalidToken(message: string = NOT_VALIDATED): StsError {
  return new StsError(400, 'InvalidIdentityToken', message);
}

function denied(): StsError {
  return new StsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
}

/** A NumericDate claim (seconds since the epoch), or undefined when absent; invalid when not a number. */
function numericDate(claims: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidToken();
  return value;
}

/** The request's parameters, checked: AssumeRole's shared ones (sts-query.ts), the token, ProviderId. */
function parseRequest(parameters: ReadonlyMap<string, string>): { roleArn: string; roleSessionName: string; durationSeconds?: number; policy?: PolicyDocument; policyArns: readonly string[]; token: string } {
  // Only what AssumeRoleWithWebIdentity takes: no ExternalId, SourceIdentity, Tags (those come in the token on AWS).
  const shared = new Map<string, string>();
  for (const [name, value] of parameters) {
    if (['RoleArn', 'RoleSessionName', 'DurationSeconds', 'Policy'].includes(name) || /^PolicyArns\.member\.\d+\.arn$/.test(name)) shared.set(name, value);
  }
  const base = parseAssumeRole(shared);
  const token = parameters.get('WebIdentityToken');
  if (token === undefined) throw validationError(["Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null"]);
  if (token.length < 4) throw validationError([`Value '${token}' at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4`]);
  // The token is a credential: never echo it.
  if (token.length > 20000) throw validationError(["Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000"]);
  if (parameters.has('ProviderId')) {
    throw new StsError(400, 'InvalidParameterValue', 'ProviderId is only for OAuth 2.0 access tokens (www.amazon.com, graph.facebook.com); leave it out for an OpenID Connect ID token.');
  }
  return {
    roleArn: base.roleArn,
    roleSessionName: base.roleSessionName,
    ...(base.durationSeconds !== undefined ? { durationSeconds: base.durationSeconds } : {}),
    ...(base.policy ? { policy: base.policy } : {}),
    policyArns: base.policyArns,
    token,
  };
}

/**
 * PolicyArns resolved to the stack's customer managed policies, with the texts AssumeRole uses
 * for the others (sts-assume-role.ts): IAM's "does not exist or is not attachable", and a local
 * message for an AWS managed policy, whose document is not in the stack.
 */
function managedSessionPolicies(role: RoleDefinition, arns: readonly string[]): { name: string; document: PolicyDocument }[] {
  return arns.map((arn) => {
    const policy = role.managedPolicy?.(arn);
    if (policy) return { name: policy.name, document: policy.document };
    if (/^arn:aws[\w-]*:iam::aws:policy\//.test(arn)) {
      throw new StsError(400, 'InvalidParameterValue', `Policy ${arn} is an AWS managed policy: its document is not in the stack, so the local STS cannot apply it as a session policy (define the policy with aws_iam_policy and pass its ARN instead).`);
    }
    throw new StsError(400, 'InvalidParameterValue', `Policy ${arn} does not exist or is not attachable.`);
  });
}

/** A verified token's subject, audience and provider; throws AWS's error otherwise. */
export function verifyWebIdentityToken(
  token: string,
  options: { readonly accountId: string; readonly providers: readonly OidcProvider[]; readonly issuerKey: OidcIssuerKey | undefined; readonly now: Date },
): { readonly subject: string; readonly audience: string; readonly provider: OidcProvider; readonly claims: Readonly<Record<string, unknown>> } {
  const jwt = decodeJwt(token);
  if (!jwt) throw invalidToken();
  const { claims } = jwt;
  if (typeof claims.iss !== 'string' || claims.iss === '') throw invalidToken('Missing a required claim: iss');
  const issuer = claims.iss.replace(/\/$/, '');
  // A provider of the stack must be in the role's account. One a trust policy names by ARN
  // (githubOidc.providerArn) stands for the deployed account's provider: locally every role is in
  // the local account, so its ARN's account is not compared (load-oidc-providers.ts).
  const provider = options.providers.find((p) => p.url === issuer && (p.address === undefined || p.arn === providerArn(options.accountId, issuer)));
  if (!provider) throw invalidToken(`No OpenIDConnect provider found in your account for ${claims.iss}`);
  const key = provider.url === LOCAL_ISSUER_URL ? options.issuerKey : undefined;
  if (!key) throw invalidToken("Couldn't retrieve verification key from your identity provider.");
  if (!signedBy(jwt, key)) throw invalidToken();

  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) throw invalidToken('Missing a required claim: exp');
  if (nowSeconds >= exp) throw new StsError(400, 'ExpiredTokenException', `Token expired: current date/time ${nowSeconds} must be before the expiration date/time ${exp}`);
  const nbf = numericDate(claims, 'nbf');
  const iat = numericDate(claims, 'iat');
  if ((nbf !== undefined && nowSeconds < nbf) || (iat !== undefined && nowSeconds < iat)) throw invalidToken();

  const audiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : [];
  if (audiences.length === 0) throw invalidToken('Missing a required claim: aud');
  const audience = audiences.find((a) => provider.clientIds.includes(a));
  if (audience === undefined) throw invalidToken('Incorrect token audience');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw invalidToken('Missing a required claim: sub');
  return { subject: claims.sub, audience, provider, claims };
}

/** AssumeRoleWithWebIdentity: the answer's XML, or an StsError with AWS's code and text. */
export function assumeRoleWithWebIdentity(parameters: ReadonlyMap<string, string>, facts: WebIdentityRequestFacts, requestId: string): WebIdentityAnswer {
  const request = parseRequest(parameters);
  const { stack, now } = facts;
  const roles = stack.roles ?? [];
  // The role's account decides which providers count ("in your account"); an ARN that names no
  // account is checked against the stack's.
  const accountId = /^arn:aws[\w-]*:iam::(\d{12}):role\//.exec(request.roleArn)?.[1] ?? stack.accountId;
  // Providers the stack defines, and one the asked role's own trust policy names by ARN
  // (githubOidc.providerArn): not those other roles name, or which role may be assumed would depend
  // on the others' trust policies (found by review: a second role naming another account's
  // provider was refused, because the first role's provider was found first).
  const role = roles.find((r) => r.arn === request.roleArn);
  const providers = knownOidcProviders(facts.stackProviders, role ? [role.assumeRolePolicy] : []);
  const verified = verifyWebIdentityToken(request.token, { accountId, providers, issuerKey: facts.issuerKey, now });
  const { provider, subject, audience } = verified;

  if (!role) {
    facts.log?.(`sts ${WEB_IDENTITY_ACTION} ${subject} denied: ${request.roleArn} is not a role of the stack`);
    throw denied();
  }
  const host = providerHost(provider.url);
  const seconds = Math.floor(now.getTime() / 1000);
  const context: Record<string, ContextValue> = Object.assign(Object.create(null) as Record<string, ContextValue>, {
    'aws:SourceIp': facts.sourceIp,
    'aws:CurrentTime': new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'),
    'aws:EpochTime': String(seconds),
    'aws:SecureTransport': 'true',
    'aws:RequestedRegion': stack.region,
    ...(facts.userAgent ? { 'aws:UserAgent': facts.userAgent } : {}),
    'sts:RoleSessionName': request.roleSessionName,
    [`${host}:sub`]: subject,
    [`${host}:aud`]: audience,
  });
  const decision = decideAssumeRole(role.assumeRolePolicy, {
    action: 'sts:AssumeRoleWithWebIdentity',
    roleArn: role.arn,
    roleAccountId: role.accountId,
    context,
    caller: { kind: 'Federated', provider: provider.arn },
  });
  if (decision.verdict !== 'Allowed') {
    facts.log?.(`sts ${WEB_IDENTITY_ACTION} ${subject} denied: ${decision.explanation}`);
    throw denied();
  }

  const sessionPolicies = [...(request.policy ? [{ name: 'Policy', document: request.policy }] : []), ...managedSessionPolicies(role, request.policyArns)];
  // AWS answers PackedPolicySize when session policies are passed (packed-policy.ts).
  const packed = sessionPolicies.length > 0 ? packedPolicySize({ ...(request.policy ? { policy: request.policy } : {}), policyArns: request.policyArns, tags: {} }) : undefined;
  if (packed !== undefined) checkPackedPolicySize(packed);
  const durationSeconds = request.durationSeconds ?? 3600;
  checkDuration(durationSeconds, role.maxSessionDurationSeconds, false);
  const credentials = mintSession(facts.sessionKey, {
    roleArn: role.arn,
    sessionName: request.roleSessionName,
    issuedAt: now.getTime(),
    expiresAt: now.getTime() + durationSeconds * 1000,
    sessionPolicies,
    tags: {},
  });
  const xml = webIdentityXml(credentials, {
    subject,
    audience,
    provider: provider.arn,
    assumedRoleId: `${role.roleId}:${request.roleSessionName}`,
    arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${request.roleSessionName}`,
    ...(packed !== undefined ? { packedPolicySize: packed } : {}),
  }, requestId);
  return { xml, subject };
}

/** The answer, in the element order of the API reference's example. [response] */
export function webIdentityXml(
  credentials: SessionCredentials,
  result: { readonly subject: string; readonly audience: string; readonly provider: string; readonly assumedRoleId: string; readonly arn: string; readonly packedPolicySize?: number },
  requestId: string,
): string {
  const e = (name: string, value: string): string => `<${name}>${xmlEscape(value)}</${name}>`;
  return `<${WEB_IDENTITY_ACTION}Response xmlns="${STS_NAMESPACE}">\n`
    + `  <${WEB_IDENTITY_ACTION}Result>\n`
    + `    ${e('SubjectFromWebIdentityToken', result.subject)}\n`
    + `    ${e('Audience', result.audience)}\n`
    + '    <AssumedRoleUser>\n'
    + `      ${e('Arn', result.arn)}\n`
    + `      ${e('AssumedRoleId', result.assumedRoleId)}\n`
    + '    </AssumedRoleUser>\n'
    + '    <Credentials>\n'
    + `      ${e('SessionToken', credentials.sessionToken)}\n`
    + `      ${e('SecretAccessKey', credentials.secretAccessKey)}\n`
    + `      <Expiration>${isoSeconds(credentials.expiration)}</Expiration>\n`
    + `      ${e('AccessKeyId', credentials.accessKeyId)}\n`
    + '    </Credentials>\n'
    + (result.packedPolicySize !== undefined ? `    <PackedPolicySize>${result.packedPolicySize}</PackedPolicySize>\n` : '')
    + `    ${e('Provider', result.provider)}\n`
    + `  </${WEB_IDENTITY_ACTION}Result>\n`
    + `  <ResponseMetadata>\n    ${e('RequestId', requestId)}\n  </ResponseMetadata>\n`
    + `</${WEB_IDENTITY_ACTION}Response>\n`;
}

/** Issuer keys by file, with the file's identity when read: re-read when the file changes. */
const issuerKeys = new Map<string, { readonly stamp: string; readonly key: OidcIssuerKey }>();

/**
 * The local issuer's key in `file`, cached once read; undefined without a file or before
 * `web-token` first created it (then no token can verify: nothing was minted). Never created
 * here: RSA key generation would stall the gateway this STS shares a process with.
 */
export function localIssuerKey(file: string | undefined): OidcIssuerKey | undefined {
  if (file === undefined) return undefined;
  // "Delete the file to invalidate every token" holds while the STS runs: the file is checked on
  // each use (a stat, microseconds); a deleted key verifies nothing, a new one is read.
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    issuerKeys.delete(file);
    return undefined;
  }
  const stamp = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  const cached = issuerKeys.get(file);
  if (cached?.stamp === stamp) return cached.key;
  const key = readOidcKey(file);
  if (key) issuerKeys.set(file, { stamp, key });
  else issuerKeys.delete(file);
  return key;
}

/** What sts-server.ts hands over: its options and the request. */
export interface WebIdentityServerFacts {
  readonly stack: LoadedStack;
  readonly sessionKey: Buffer;
  readonly oidcKeyFile?: string;
  readonly now: Date;
  readonly log?: (line: string) => void;
}

/** AssumeRoleWithWebIdentity as the STS server calls it (no signature to check). */
export function answerWebIdentity(parameters: ReadonlyMap<string, string>, req: IncomingMessage, facts: WebIdentityServerFacts, requestId: string): WebIdentityAnswer {
  const userAgent = req.headers['user-agent'];
  return assumeRoleWithWebIdentity(parameters, {
    stack: facts.stack,
    stackProviders: oidcProvidersOfStack(facts.stack),
    issuerKey: localIssuerKey(facts.oidcKeyFile),
    sessionKey: facts.sessionKey,
    now: facts.now,
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    ...(userAgent ? { userAgent } : {}),
    ...(facts.log ? { log: facts.log } : {}),
  }, requestId);
}

/**
 * GET `/.well-known/openid-configuration` and `/.well-known/jwks` of the local issuer, served by
 * the local STS (`baseUrl`): the JSON body, or undefined for any other request.
 */
export function wellKnownDocument(method: string, rawPath: string, oidcKeyFile: string | undefined, baseUrl: string): string | undefined {
  if (method !== 'GET' || oidcKeyFile === undefined) return undefined;
  if (rawPath === '/.well-known/openid-configuration') return `${JSON.stringify(discoveryDocument(baseUrl), null, 2)}\n`;
  if (rawPath === '/.well-known/jwks') {
    const key = localIssuerKey(oidcKeyFile);
    return `${JSON.stringify(key ? jwks(key) : { keys: [] }, null, 2)}\n`;
  }
  return undefined;
}
