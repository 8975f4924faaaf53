/**
 * The gateway accepts assumed-role sessions: ASIA keys with a session token minted by
 * session-tokens.ts for a role of the stack (written with real cdktf constructs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Testing } from 'cdktf';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { modelOf, type LoadedStack } from '../../src/gateway/load-stack';
import { LocalGateway } from '../../src/gateway/server';
import { mintSession, type RoleSessionClaims, type SessionCredentials } from '../../src/gateway/session-tokens';
import { FIXTURES } from '../support/gateway';
import { synthStack } from '../support/synth';

const { stack: synthesized } = synthStack();
const outdir = Testing.fullSynth(synthesized);
const stackDir = path.join(outdir, 'stacks', 'dev');
const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
const EXECUTION_ARN = '${aws_apigatewayv2_api.api.execution_arn}';

const extra = JSON.parse(Testing.synthScope((scope) => {
  const role = new IamRole(scope, 'reader', {
    name: 'reader',
    path: '/app/',
    assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] }),
    tags: { team: 'blue' },
  });
  new IamRolePolicy(scope, 'reader_invoke', {
    name: 'invoke',
    role: role.id,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'All', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*` },
        { Sid: 'RedOnly', Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*/*/red/*`, Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'red' } } },
      ],
    }),
  });
}));
for (const [type, byName] of Object.entries<Record<string, unknown>>(extra.resource)) tf.resource[type] = { ...tf.resource[type], ...byName };

const key = randomBytes(32);
let stack: LoadedStack;
let gateway: LocalGateway;
const log: string[] = [];
let url: string;

beforeAll(async () => {
  const loaded = modelOf(tf, 'dev', stackDir);
  stack = { ...loaded, integration: { ...loaded.integration, bundleFile: path.join(FIXTURES, 'echo-event.mjs') } };
  gateway = new LocalGateway({ stack, keys: new Map(), port: 0, sessionKey: key, workers: 1, log: (line) => log.push(line), functionLog: () => undefined });
  url = await gateway.listen();
});
afterAll(async () => {
  await gateway?.close();
  fs.rmSync(outdir, { recursive: true, force: true });
});

const ROLE_ARN = 'arn:aws:iam::123456789012:role/app/reader';

function mint(claims: Partial<RoleSessionClaims> = {}): SessionCredentials {
  const now = Date.now();
  return mintSession(key, { roleArn: ROLE_ARN, sessionName: 'alice', issuedAt: now, expiresAt: now + 3600_000, sessionPolicies: [], tags: {}, ...claims });
}

async function call(credentials: SessionCredentials, pathname: string, token = credentials.sessionToken): Promise<{ status: number; body: string; errorType: string | null }> {
  const target = new URL(pathname, url);
  const signer = new SignatureV4({ service: 'execute-api', region: stack.region, credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: token }, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: target.hostname, port: Number(target.port), path: target.pathname, query: {}, headers: { host: target.host } });
  const response = await fetch(target, { headers: signed.headers as Record<string, string> });
  return { status: response.status, body: await response.text(), errorType: response.headers.get('x-amzn-errortype') };
}

describe('assumed-role sessions', () => {
  it('loads the role from the stack', () => {
    const role = stack.roles?.find((r) => r.name === 'reader');
    expect(role).toMatchObject({ arn: ROLE_ARN, path: '/app/', tags: { team: 'blue' } });
    expect(role?.identityPolicies.map((p) => `${p.source}:${p.name}`)).toEqual(['role inline:invoke']);
  });

  it('a session of the role is allowed, with the assumed-role identity in the event', async () => {
    const session = mint();
    const reply = await call(session, '/hello');
    expect(reply.status).toBe(200);
    const { event } = JSON.parse(reply.body);
    const role = stack.roles?.find((r) => r.name === 'reader');
    expect(event.requestContext.authorizer.iam).toMatchObject({
      accessKey: session.accessKeyId,
      accountId: '123456789012',
      userArn: 'arn:aws:sts::123456789012:assumed-role/reader/alice',
      userId: `${role?.roleId}:alice`,
      callerId: `${role?.roleId}:alice`,
    });
    expect(session.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
  });

  it('a session policy narrows the role: 403', async () => {
    const session = mint({ sessionPolicies: [{ name: 'only-items', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${stack.executionArn}/*/*/items/*` }] } }] });
    expect((await call(session, '/items/1')).status).toBe(200);
    expect(await call(session, '/hello')).toMatchObject({ status: 403, body: '{"message":"Forbidden"}' });
  });

  it('session tags win over role tags in conditions', async () => {
    expect((await call(mint(), '/red/1')).status).toBe(403);
    expect((await call(mint({ tags: { team: 'red' } }), '/red/1')).status).toBe(200);
  });

  it('a tampered token is refused as AWS refuses an invalid one', async () => {
    const session = mint();
    const token = session.sessionToken;
    const i = token.length - 5;
    const tampered = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    expect(await call(session, '/hello', tampered)).toEqual({ status: 403, body: '{"message":"The security token included in the request is invalid."}', errorType: 'UnrecognizedClientException' });
    // Another key's token, and a token under another gateway's key.
    expect((await call({ ...session, accessKeyId: mint().accessKeyId }, '/hello')).status).toBe(403);
    const foreign = mintSession(randomBytes(32), { roleArn: ROLE_ARN, sessionName: 'x', issuedAt: Date.now(), expiresAt: Date.now() + 60_000, sessionPolicies: [], tags: {} });
    expect((await call(foreign, '/hello')).errorType).toBe('UnrecognizedClientException');
    // The log says where such a token comes from (another gateway's key, or a client's cache).
    expect(JSON.parse(log.at(-1)!)).toMatchObject({ errorType: 'UnrecognizedClientException', hint: expect.stringContaining('~/.aws/cli/cache') });
  });

  it('an expired token is refused with ExpiredTokenException', async () => {
    const session = mint({ issuedAt: Date.now() - 7200_000, expiresAt: Date.now() - 1 });
    expect(await call(session, '/hello')).toEqual({ status: 403, body: '{"message":"The security token included in the request is expired"}', errorType: 'ExpiredTokenException' });
  });

  it('a session of a role not in the stack is invalid', async () => {
    const session = mint({ roleArn: 'arn:aws:iam::123456789012:role/gone' });
    expect((await call(session, '/hello')).errorType).toBe('UnrecognizedClientException');
  });
});

describe('user sessions (GetSessionToken)', () => {
  const userSession = (userArn: string, issuedAt = Date.now()): SessionCredentials => mintSession(key, { kind: 'user', userArn, issuedAt, expiresAt: issuedAt + 3600_000 });

  it('a token from before user sessions (no kind) opens as a role session', async () => {
    expect((await call(mint(), '/hello')).status).toBe(200);
  });

  it('a session of a user of the stack is that user: same ARN and policies, the ASIA key in the event', async () => {
    const viewer = stack.invokers.find((i) => i.name === 'viewer')!.principal;
    const session = userSession(viewer.arn);
    const reply = await call(session, '/hello');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).event.requestContext.authorizer.iam).toMatchObject({ accessKey: session.accessKeyId, userArn: viewer.arn, userId: viewer.userId });
  });

  it('a session of a user no longer in the stack is invalid; an expired one expired', async () => {
    expect((await call(userSession('arn:aws:iam::123456789012:user/gone'), '/hello')).errorType).toBe('UnrecognizedClientException');
    const viewer = stack.invokers.find((i) => i.name === 'viewer')!.principal;
    expect((await call(userSession(viewer.arn, Date.now() - 7200_000), '/hello')).errorType).toBe('ExpiredTokenException');
  });
});
