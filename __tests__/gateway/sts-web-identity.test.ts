/**
 * AssumeRoleWithWebIdentity on the local STS (sts-web-identity.ts) with tokens of the local
 * GitHub stand-in (oidc-issuer.ts), on a stack with two GitHub OIDC roles: `ci` (my-org/my-repo,
 * branch main, GET only) and `releaser` (my-org/my-repo, environment prod). Allowed and every
 * kind of refusal with AWS's codes and texts; the session then calls the gateway; and the AWS
 * SDK's own STS client and web-identity credential provider against the local STS, as a GitHub
 * Actions job would run locally.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTokenFile, fromWebToken } from '@aws-sdk/credential-providers';
import { loadOidcProviders, registerOidcProviderReferences } from '../../src/gateway/load-oidc-providers';
import { registerRoleReferences, loadRoles } from '../../src/gateway/load-roles';
import type { LoadedStack } from '../../src/gateway/load-stack';
import { ensureOidcKey, githubClaims, signJwt, type JwtClaims, type OidcIssuerKey } from '../../src/gateway/oidc-issuer';
import { References, type TerraformJson } from '../../src/gateway/stack-json';
import { whoMayAssume } from '../../src/gateway/who-may-assume';
import { credentialsOf, signedApiCall, stsQuery, xmlTag, type Creds } from '../support/sts-requests';
import { PROVIDER_ARN, startWebIdentityStack, type WebIdentityStack } from '../support/web-identity-stack';

const NOT_VALIDATED = 'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.';
const DENIED = 'Not authorized to perform sts:AssumeRoleWithWebIdentity';

let env: WebIdentityStack;
let dir: string;
let tf: TerraformJson;
let stack: LoadedStack;
let gatewayUrl: string;
let stsUrl: string;
let key: OidcIssuerKey;
let ciArn: string;
let releaserArn: string;
let stsLog: string[];

beforeAll(async () => {
  env = await startWebIdentityStack();
  ({ dir, tf, stack, gatewayUrl, stsUrl, key, ciArn, releaserArn, stsLog } = env);
}, 120_000);
afterAll(async () => {
  await env?.close();
});

const tag = xmlTag;

/** An unsigned Query-API POST, as the SDKs send AssumeRoleWithWebIdentity. */
async function webIdentity(parameters: Record<string, string>): Promise<{ status: number; body: string; code?: string; message?: string }> {
  const reply = await stsQuery(stsUrl, stack.region, undefined, { Action: 'AssumeRoleWithWebIdentity', ...parameters });
  return { ...reply, code: tag(reply.body, 'Code'), message: tag(reply.body, 'Message') };
}

function token(request: Partial<Parameters<typeof githubClaims>[0]> = {}, change: (claims: Record<string, unknown>) => void = () => undefined, signer: OidcIssuerKey = key): string {
  const claims = { ...githubClaims({ repository: 'my-org/my-repo', branch: 'main', now: new Date(), ...request }) } as Record<string, unknown>;
  change(claims);
  return signJwt(signer, claims as JwtClaims);
}

const gatewayCall = async (credentials: Creds, method: string, pathname: string): Promise<number> => (await signedApiCall(gatewayUrl, stack.region, credentials, method, pathname)).status;

describe('AssumeRoleWithWebIdentity: allowed', () => {
  it('the banner\'s list of who may assume names GitHub Actions for the OIDC roles', () => {
    const ci = whoMayAssume(stack).find((r) => r.role.arn === ciArn);
    expect(ci && { invokers: ci.invokers, others: ci.others }).toEqual({ invokers: [], others: ['GitHub Actions'] });
  });

  it('a token for my-org/my-repo on main assumes ci: AWS\'s XML, then GET is allowed and POST is not', async () => {
    const reply = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh-run-1', WebIdentityToken: token(), DurationSeconds: '900' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/^<AssumeRoleWithWebIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\n  <AssumeRoleWithWebIdentityResult>\n/);
    expect(tag(reply.body, 'SubjectFromWebIdentityToken')).toBe('repo:my-org/my-repo:ref:refs/heads/main');
    expect(tag(reply.body, 'Audience')).toBe('sts.amazonaws.com');
    expect(tag(reply.body, 'Provider')).toBe(PROVIDER_ARN);
    expect(tag(reply.body, 'Arn')).toBe('arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-ci/gh-run-1');
    expect(tag(reply.body, 'AssumedRoleId')).toMatch(/^AROA[A-Z0-9]{17}:gh-run-1$/);
    expect(Math.abs(Date.parse(tag(reply.body, 'Expiration')!) - (Date.now() + 900_000))).toBeLessThan(5_000);
    expect(tag(reply.body, 'RequestId')).toMatch(/^[0-9a-f-]{36}$/);
    const session = credentialsOf(reply.body);
    expect(session.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(await gatewayCall(session, 'GET', '/hello')).toBe(200);
    expect(await gatewayCall(session, 'POST', '/items')).toBe(403);
    expect(stsLog).toContain('sts AssumeRoleWithWebIdentity repo:my-org/my-repo:ref:refs/heads/main 200');
  });

  it('a job in environment prod assumes releaser, which may POST', async () => {
    const reply = await webIdentity({ RoleArn: releaserArn, RoleSessionName: 'deploy', WebIdentityToken: token({ branch: undefined, environment: 'prod' }) });
    expect(reply.status).toBe(200);
    expect(tag(reply.body, 'SubjectFromWebIdentityToken')).toBe('repo:my-org/my-repo:environment:prod');
    expect(await gatewayCall(credentialsOf(reply.body), 'POST', '/items')).toBe(200);
  });

  it('the session policy (Policy) narrows the session', async () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/POST/*' }] });
    const reply = await webIdentity({ RoleArn: releaserArn, RoleSessionName: 'deploy', WebIdentityToken: token({ branch: undefined, environment: 'prod' }), Policy: policy });
    expect(reply.status).toBe(200);
    expect(Number(tag(reply.body, 'PackedPolicySize'))).toBeGreaterThan(0);
    const session = credentialsOf(reply.body);
    expect(await gatewayCall(session, 'GET', '/hello')).toBe(403);
    expect(await gatewayCall(session, 'POST', '/items')).toBe(200);
  });
});

describe('AssumeRoleWithWebIdentity: refused', () => {
  it.each([
    ['another repository', 'ci', { repository: 'my-org/other' }],
    ['another branch', 'ci', { branch: 'feature' }],
    ['an environment, for the branch role', 'ci', { branch: undefined, environment: 'prod' }],
    ['another environment', 'releaser', { branch: undefined, environment: 'staging' }],
    ['a branch, for the environment role', 'releaser', { branch: 'main' }],
  ] as const)('%s: 403 AccessDenied', async (_, role, request) => {
    const reply = await webIdentity({ RoleArn: role === 'ci' ? ciArn : releaserArn, RoleSessionName: 'gh', WebIdentityToken: token(request) });
    expect([reply.status, reply.code, reply.message]).toEqual([403, 'AccessDenied', DENIED]);
    expect(tag(reply.body, 'Type')).toBe('Sender');
  });

  it('a role that is not in the stack: the same 403', async () => {
    const reply = await webIdentity({ RoleArn: 'arn:aws:iam::123456789012:role/nope', RoleSessionName: 'gh', WebIdentityToken: token() });
    expect([reply.status, reply.code, reply.message]).toEqual([403, 'AccessDenied', DENIED]);
  });

  it('another audience: 400 InvalidIdentityToken "Incorrect token audience"', async () => {
    const reply = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token({ audience: 'https://github.com/my-org' }) });
    expect([reply.status, reply.code, reply.message]).toEqual([400, 'InvalidIdentityToken', 'Incorrect token audience']);
  });

  it('an expired token: 400 ExpiredTokenException with both times', async () => {
    const issued = new Date(Date.now() - 3_600_000);
    const expired = token({ now: issued, expiresInSeconds: 300 });
    const exp = Math.floor(issued.getTime() / 1000) + 300;
    const reply = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: expired });
    expect([reply.status, reply.code]).toEqual([400, 'ExpiredTokenException']);
    const now = Number(/current date\/time (\d+) /.exec(reply.message ?? '')?.[1]);
    expect(Math.abs(now - Date.now() / 1000)).toBeLessThan(5);
    expect(reply.message).toBe(`Token expired: current date/time ${now} must be before the expiration date/time ${exp}`);
  });

  it('a token not yet valid (nbf, iat in the future): 400 InvalidIdentityToken', async () => {
    const reply = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token({ now: new Date(Date.now() + 120_000) }) });
    expect([reply.status, reply.code, reply.message]).toEqual([400, 'InvalidIdentityToken', NOT_VALIDATED]);
  });

  it('a tampered token (sub changed after signing): 400 InvalidIdentityToken', async () => {
    const [header, , signature] = token({ repository: 'my-org/other' }).split('.');
    const claims = githubClaims({ repository: 'my-org/my-repo', branch: 'main', now: new Date() });
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const reply = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: forged });
    expect([reply.status, reply.code, reply.message]).toEqual([400, 'InvalidIdentityToken', NOT_VALIDATED]);
  });

  it('a token signed with another key (its own kid, or the issuer\'s kid): 400 InvalidIdentityToken', async () => {
    const other = ensureOidcKey(path.join(dir, 'other-key.pem'));
    for (const signer of [other, { ...other, kid: key.kid }]) {
      const reply = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token({}, () => undefined, signer) });
      expect([reply.status, reply.code, reply.message]).toEqual([400, 'InvalidIdentityToken', NOT_VALIDATED]);
    }
  });

  it('alg none, and HS256 keyed with the public key: 400 InvalidIdentityToken', async () => {
    const claims = Buffer.from(JSON.stringify(githubClaims({ repository: 'my-org/my-repo', branch: 'main', now: new Date() }))).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: key.kid })).toString('base64url')}.${claims}.`;
    const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid })).toString('base64url');
    const { createHmac } = await import('node:crypto');
    const hs = `${hsHeader}.${claims}.${createHmac('sha256', key.publicKey.export({ format: 'pem', type: 'spki' })).update(`${hsHeader}.${claims}`).digest('base64url')}`;
    for (const forged of [none, hs]) {
      const reply = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: forged });
      expect([reply.status, reply.code, reply.message]).toEqual([400, 'InvalidIdentityToken', NOT_VALIDATED]);
    }
  });

  it('an issuer with no OIDC provider in the account, and a token that is no JWT', async () => {
    const foreign = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token({}, (c) => { c.iss = 'https://accounts.example.com'; }) });
    expect([foreign.status, foreign.code, foreign.message]).toEqual([400, 'InvalidIdentityToken', 'No OpenIDConnect provider found in your account for https://accounts.example.com']);
    const garbage = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: 'not-a-jwt' });
    expect([garbage.status, garbage.code, garbage.message]).toEqual([400, 'InvalidIdentityToken', NOT_VALIDATED]);
    const noAud = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token({}, (c) => { delete c.aud; }) });
    expect([noAud.status, noAud.code, noAud.message]).toEqual([400, 'InvalidIdentityToken', 'Missing a required claim: aud']);
  });

  it('parameters: missing token, a duration over the role\'s maximum, ProviderId, an AWS managed PolicyArn', async () => {
    const missing = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh' });
    expect([missing.status, missing.code, missing.message]).toEqual([400, 'ValidationError', "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null"]);
    const long = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token(), DurationSeconds: '7200' });
    expect([long.status, long.code, long.message]).toEqual([400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.']);
    const provider = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token(), ProviderId: 'www.amazon.com' });
    expect([provider.status, provider.code]).toEqual([400, 'InvalidParameterValue']);
    const managed = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token(), 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    expect([managed.status, managed.code, managed.message]).toEqual([400, 'InvalidParameterValue', 'Policy arn:aws:iam::aws:policy/ReadOnlyAccess is an AWS managed policy: its document is not in the stack, so the local STS cannot apply it as a session policy (define the policy with aws_iam_policy and pass its ARN instead).']);
    const unknown = await webIdentity({ RoleArn: ciArn, RoleSessionName: 'gh', WebIdentityToken: token(), 'PolicyArns.member.1.arn': 'arn:aws:iam::123456789012:policy/nope' });
    expect([unknown.status, unknown.code, unknown.message]).toEqual([400, 'InvalidParameterValue', 'Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable.']);
  });

  it('never logs a token', () => {
    expect(stsLog.join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});

describe('the local issuer served by the STS', () => {
  it('serves its discovery document and JWKS', async () => {
    const discovery = await (await fetch(`${stsUrl}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: 'https://token.actions.githubusercontent.com', jwks_uri: `${stsUrl}/.well-known/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    const jwks = await (await fetch(`${stsUrl}/.well-known/jwks`)).json() as { keys: { kid: string; kty: string; alg: string }[] };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: key.kid, kty: 'RSA', alg: 'RS256', use: 'sig' })]);
  });
});

describe('the stack\'s own provider reference', () => {
  it('loads the GitHub role once the provider\'s references are registered (what load-stack.ts needs)', () => {
    expect(JSON.stringify(tf.resource?.aws_iam_role)).toContain('${aws_iam_openid_connect_provider.github_actions.arn}');
    expect(loadOidcProviders(tf, '123456789012')).toEqual([{ url: 'https://token.actions.githubusercontent.com', arn: PROVIDER_ARN, clientIds: ['sts.amazonaws.com'], address: 'github_actions' }]);
    const refs = new References();
    refs.set('aws_apigatewayv2_api.api.execution_arn', stack.executionArn);
    registerRoleReferences(tf, refs, '123456789012');
    registerOidcProviderReferences(tf, refs, '123456789012');
    const ci = loadRoles(tf, refs, '123456789012', { onRoleError: () => undefined }).find((r) => r.name === 'iam-http-api-dev-ci')!;
    expect(JSON.stringify(ci.assumeRolePolicy)).toContain(`"Federated":"${PROVIDER_ARN}"`);
  });
});

describe('with the AWS SDK for JavaScript v3', () => {
  it('STSClient AssumeRoleWithWebIdentityCommand against the local STS', async () => {
    const client = new STSClient({ region: stack.region, endpoint: stsUrl });
    try {
      const out = await client.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ciArn, RoleSessionName: 'sdk', WebIdentityToken: token() }));
      expect(out.SubjectFromWebIdentityToken).toBe('repo:my-org/my-repo:ref:refs/heads/main');
      expect(out.Provider).toBe(PROVIDER_ARN);
      expect(out.Audience).toBe('sts.amazonaws.com');
      expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-ci/sdk');
      expect(out.Credentials?.Expiration).toBeInstanceOf(Date);
      expect(out.PackedPolicySize).toBeUndefined();
      await expect(client.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ciArn, RoleSessionName: 'sdk', WebIdentityToken: token({ branch: 'dev' }) })))
        .rejects.toMatchObject({ name: 'AccessDenied', message: DENIED, $metadata: { httpStatusCode: 403 } });
      await expect(client.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ciArn, RoleSessionName: 'sdk', WebIdentityToken: token({ audience: 'x' }) })))
        .rejects.toMatchObject({ name: 'InvalidIdentityTokenException', message: 'Incorrect token audience' });
    } finally {
      client.destroy();
    }
  });

  it('fromWebToken, and fromTokenFile with AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN + AWS_ENDPOINT_URL_STS, as a CI job would', async () => {
    const viaToken = await fromWebToken({ roleArn: ciArn, roleSessionName: 'web-token', webIdentityToken: token(), clientConfig: { region: stack.region, endpoint: stsUrl } })();
    expect(viaToken.accessKeyId).toMatch(/^ASIA/);
    expect(await gatewayCall(viaToken, 'GET', '/hello')).toBe(200);

    const tokenFile = path.join(dir, 'web-identity-token');
    fs.writeFileSync(tokenFile, token(), { mode: 0o600 });
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: ciArn, AWS_ROLE_SESSION_NAME: 'ci-job', AWS_ENDPOINT_URL_STS: stsUrl, AWS_REGION: stack.region });
    try {
      const viaFile = await fromTokenFile()();
      expect(viaFile.accessKeyId).toMatch(/^ASIA/);
      expect(await gatewayCall(viaFile, 'GET', '/hello')).toBe(200);
      expect(await gatewayCall(viaFile, 'POST', '/items')).toBe(403);
    } finally {
      for (const name of ['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_ROLE_SESSION_NAME', 'AWS_ENDPOINT_URL_STS', 'AWS_REGION']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });
});

describe('a stack that references an existing provider (githubOidc.providerArn)', () => {
  it('loads the role as synthesized and assumes it with a local token, whatever account the ARN names', async () => {
    const { startWebIdentityStack: start } = await import('../support/web-identity-stack');
    const deployed = 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com';
    const other = await start({
      environments: { dev: { invokers: { admin: { allow: ['* /*'] }, ci: { kind: 'role', allow: ['GET /*'], assumableBy: { githubOidc: { repository: 'my-org/my-repo', branch: 'main', providerArn: deployed } } } } } },
    });
    try {
      expect(other.tf.resource?.aws_iam_openid_connect_provider).toBeUndefined();
      const ci = other.stack.roles!.find((r) => r.name === 'iam-http-api-dev-ci')!;
      const reply = await fetch(other.stsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ci.arn, RoleSessionName: 'gh', WebIdentityToken: signJwt(other.key, githubClaims({ repository: 'my-org/my-repo', branch: 'main', now: new Date() })) }).toString(),
      });
      const body = await reply.text();
      expect(reply.status).toBe(200);
      expect(tag(body, 'Provider')).toBe(deployed);
      const wrong = await fetch(other.stsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ci.arn, RoleSessionName: 'gh', WebIdentityToken: signJwt(other.key, githubClaims({ repository: 'my-org/my-repo', branch: 'main', audience: 'https://github.com/my-org', now: new Date() })) }).toString(),
      });
      expect([wrong.status, tag(await wrong.text(), 'Message')]).toEqual([400, 'Incorrect token audience']);
    } finally {
      await other.close();
    }
  }, 120_000);
});

describe('npm start\'s hint for the GitHub roles', () => {
  it('lists the roles GitHub may assume with their sub, and commands that work', async () => {
    const { webIdentityHints, webTokenOptions } = await import('../../src/gateway/web-identity-hints');
    expect(webIdentityHints(stack.roles!, stsUrl, stack.region)).toEqual([
      '',
      'GitHub Actions roles (AssumeRoleWithWebIdentity with a token of the local issuer, .iam-http-api/oidc-key.pem; real GitHub tokens are refused):',
      '  iam-http-api-dev-ci  sub repo:my-org/my-repo:ref:refs/heads/main',
      '  iam-http-api-dev-releaser  sub repo:my-org/my-repo:environment:prod',
      '  e.g. npx iam-http-api web-token --repository my-org/my-repo --branch main > .iam-http-api/web-token.jwt',
      `       AWS_WEB_IDENTITY_TOKEN_FILE=.iam-http-api/web-token.jwt AWS_ROLE_ARN=${ciArn} AWS_ROLE_SESSION_NAME=ci AWS_ENDPOINT_URL_STS=${stsUrl} AWS_DEFAULT_REGION=us-east-1 aws sts get-caller-identity`,
    ]);
    expect(webIdentityHints(stack.roles!.filter((r) => r.name.endsWith('-admin')), stsUrl, stack.region)).toEqual([]);
    expect(webTokenOptions('repo:o/r:*')).toBe('--repository o/r --branch main');
    expect(webTokenOptions('repo:o/r:ref:refs/heads/release-*')).toBe('--repository o/r --branch release-main');
    expect(webTokenOptions('repo:o/*:*')).toBeUndefined();
  });
});

describe('verifyWebIdentityToken, providers', () => {
  it('each role is decided with the provider its own trust policy names by ARN, whatever other roles name', async () => {
    const { assumeRoleWithWebIdentity } = await import('../../src/gateway/sts-web-identity');
    const trustOf = (account: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com` }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } } }] });
    const roleOf = (name: string, account: string) => ({ address: name, accountId: '123456789012', name, path: '/', arn: `arn:aws:iam::123456789012:role/${name}`, roleId: `AROA${name.toUpperCase().padEnd(17, 'X')}`, tags: {}, maxSessionDurationSeconds: 3600, assumeRolePolicy: trustOf(account), identityPolicies: [] });
    const roles = [roleOf('ci-a', '111111111111'), roleOf('ci-b', '222222222222')];
    const local = { ...stack, roles, oidcProviders: [] };
    for (const [role, account] of [[roles[0]!, '111111111111'], [roles[1]!, '222222222222']] as const) {
      const answer = assumeRoleWithWebIdentity(new Map([['RoleArn', role.arn], ['RoleSessionName', 'gh'], ['WebIdentityToken', token()]]), { stack: local, stackProviders: [], issuerKey: key, sessionKey: Buffer.alloc(32, 1), now: new Date(), sourceIp: '127.0.0.1' }, 'rid');
      expect(tag(answer.xml, 'Provider')).toBe(`arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`);
    }
  });

  it('a provider of the stack whose keys the local STS does not have: "Couldn\'t retrieve verification key"', async () => {
    const { verifyWebIdentityToken } = await import('../../src/gateway/sts-web-identity');
    const eks = { url: 'https://oidc.eks.us-east-1.amazonaws.com/id/ABC', arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC', clientIds: ['sts.amazonaws.com'], address: 'eks' };
    const jwt = token({}, (c) => { c.iss = eks.url; });
    expect(() => verifyWebIdentityToken(jwt, { accountId: '123456789012', providers: [eks], issuerKey: key, now: new Date() }))
      .toThrow(expect.objectContaining({ status: 400, code: 'InvalidIdentityToken', message: "Couldn't retrieve verification key from your identity provider." }));
    // The same provider in another account is not "in your account".
    expect(() => verifyWebIdentityToken(jwt, { accountId: '210987654321', providers: [eks], issuerKey: key, now: new Date() }))
      .toThrow(`No OpenIDConnect provider found in your account for ${eks.url}`);
    // Without the local issuer's key nothing verifies.
    expect(() => verifyWebIdentityToken(token(), { accountId: '123456789012', providers: [{ url: 'https://token.actions.githubusercontent.com', arn: PROVIDER_ARN, clientIds: ['sts.amazonaws.com'], address: 'gh' }], issuerKey: undefined, now: new Date() }))
      .toThrow("Couldn't retrieve verification key from your identity provider.");
  });

  it('an audience list matches when one of them is a client id; a missing sub or exp is refused', async () => {
    const { verifyWebIdentityToken } = await import('../../src/gateway/sts-web-identity');
    const providers = [{ url: 'https://token.actions.githubusercontent.com', arn: PROVIDER_ARN, clientIds: ['sts.amazonaws.com'], address: 'gh' }];
    const options = { accountId: '123456789012', providers, issuerKey: key, now: new Date() };
    expect(verifyWebIdentityToken(token({}, (c) => { c.aud = ['https://github.com/my-org', 'sts.amazonaws.com']; }), options)).toMatchObject({ audience: 'sts.amazonaws.com', subject: 'repo:my-org/my-repo:ref:refs/heads/main' });
    expect(() => verifyWebIdentityToken(token({}, (c) => { delete c.sub; }), options)).toThrow('Missing a required claim: sub');
    expect(() => verifyWebIdentityToken(token({}, (c) => { delete c.exp; }), options)).toThrow('Missing a required claim: exp');
    expect(() => verifyWebIdentityToken(token({}, (c) => { c.exp = 'soon'; }), options)).toThrow(NOT_VALIDATED);
  });

  it('knownOidcProviders adds GitHub\'s provider named by ARN in a trust policy, and nothing else', async () => {
    const { knownOidcProviders, oidcProvidersOfStack } = await import('../../src/gateway/load-oidc-providers');
    const trust = (federated: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: federated }, Action: 'sts:AssumeRoleWithWebIdentity' }] });
    expect(knownOidcProviders([], [trust('arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com'), trust('arn:aws:iam::111122223333:oidc-provider/accounts.google.com'), trust('cognito-identity.amazonaws.com')]))
      .toEqual([{ url: 'https://token.actions.githubusercontent.com', arn: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com', clientIds: ['sts.amazonaws.com'] }]);
    // The fixture's stack file names the provider resource.
    expect(oidcProvidersOfStack(stack)).toEqual([{ url: 'https://token.actions.githubusercontent.com', arn: PROVIDER_ARN, clientIds: ['sts.amazonaws.com'], address: 'github_actions' }]);
    expect(oidcProvidersOfStack({ stackDir: path.join(dir, 'missing'), accountId: '123456789012' })).toEqual([]);
  });
});

describe('providers the gateway cannot read', () => {
  it('are left out (a computed URL, count), so the stack still loads', () => {
    const tfWith = (providers: Record<string, Record<string, unknown>>): TerraformJson => ({ resource: { aws_iam_openid_connect_provider: providers } });
    const computed = tfWith({
      eks: { url: '${aws_eks_cluster.main.identity[0].oidc[0].issuer}', client_id_list: ['sts.amazonaws.com'] },
      many: { url: 'https://a.example.com', client_id_list: ['x'], count: 2 },
      plain: { url: 'http://insecure.example.com', client_id_list: ['x'] },
      refs: { url: 'https://b.example.com/', client_id_list: ['${var.client}'] },
      good: { url: 'https://c.example.com', client_id_list: ['x', 'y'] },
    });
    expect(loadOidcProviders(computed, '123456789012')).toEqual([{ url: 'https://c.example.com', arn: 'arn:aws:iam::123456789012:oidc-provider/c.example.com', clientIds: ['x', 'y'], address: 'good' }]);
    const refs = new References();
    registerOidcProviderReferences(computed, refs, '123456789012');
    expect(refs.resolve('${aws_iam_openid_connect_provider.refs.arn} ${aws_iam_openid_connect_provider.good.url}', 't', 'n', 'a')).toBe('arn:aws:iam::123456789012:oidc-provider/b.example.com c.example.com');
    expect(() => refs.resolve('${aws_iam_openid_connect_provider.eks.arn}', 't', 'n', 'a')).toThrow('cannot resolve');
  });
});
