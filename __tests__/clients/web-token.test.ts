/**
 * `iam-http-api web-token` (clients/cli/web-token.ts): mints a GitHub Actions-shaped token with
 * the local issuer's key beside the (running) gateway's credentials file; its errors. Then the
 * token with a client nobody here wrote, the machine's AWS CLI (botocore): `aws sts
 * assume-role-with-web-identity`, and a CI job's setup (AWS_WEB_IDENTITY_TOKEN_FILE +
 * AWS_ROLE_ARN + AWS_ENDPOINT_URL_STS) running `aws sts get-caller-identity`.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../clients/cli/main';
import { decodeJwt, ensureOidcKey, signedBy } from '../../src/gateway/oidc-issuer';
import { writeRunningGateway } from '../../src/gateway/running-gateway';
import { startWebIdentityStack, type WebIdentityStack } from '../support/web-identity-stack';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const BIN = path.join(root, 'bin', 'iam-http-api.js');

let env: WebIdentityStack;
let scratch: string;
beforeAll(async () => {
  env = await startWebIdentityStack();
}, 120_000);
afterAll(async () => {
  await env?.close();
});
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-web-token-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

async function cli(args: string[], environment: NodeJS.ProcessEnv, cwd = scratch): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = process.env;
  process.env = environment;
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(args, cwd, { stdout: (chunk) => { stdout += chunk; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr };
  } finally {
    process.chdir(before);
    process.env = saved;
  }
}

describe('iam-http-api web-token', () => {
  it('prints one token signed by the key beside the credentials file, which it creates once (0600)', async () => {
    const credentials = path.join(scratch, 'state', 'credentials');
    const { code, stdout, stderr } = await cli(['web-token', '--repository', 'my-org/my-repo', '--branch', 'main'], { IAM_HTTP_API_CREDENTIALS: credentials });
    expect([code, stderr]).toEqual([0, '']);
    // Not a terminal: the token alone, no newline, as a token file must hold it.
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const keyFile = path.join(scratch, 'state', 'oidc-key.pem');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const jwt = decodeJwt(stdout.trim())!;
    expect(signedBy(jwt, ensureOidcKey(keyFile))).toBe(true);
    expect(jwt.claims).toMatchObject({ iss: 'https://token.actions.githubusercontent.com', sub: 'repo:my-org/my-repo:ref:refs/heads/main', aud: 'sts.amazonaws.com', repository: 'my-org/my-repo' });
    expect(Number(jwt.claims.exp) - Number(jwt.claims.iat)).toBe(300);
  });

  it('an environment, an audience and a lifetime; --verbose describes the token on stderr without it', async () => {
    const credentials = path.join(scratch, 'credentials');
    const { code, stdout, stderr } = await cli(['web-token', '--repository', 'o/r', '--environment', 'prod', '--audience', 'https://github.com/o', '--expires-in', '60', '-v'], { IAM_HTTP_API_CREDENTIALS: credentials });
    expect(code).toBe(0);
    const jwt = decodeJwt(stdout.trim())!;
    expect(jwt.claims).toMatchObject({ sub: 'repo:o/r:environment:prod', environment: 'prod', aud: 'https://github.com/o' });
    expect(Number(jwt.claims.exp) - Number(jwt.claims.iat)).toBe(60);
    expect(stderr).toMatch(/^Token for sub repo:o\/r:environment:prod, aud https:\/\/github\.com\/o, iss https:\/\/token\.actions\.githubusercontent\.com, expires \d{4}-\d\d-\d\dT[\d:.]+Z; signed with oidc-key\.pem \(kid [\w-]{43}\)\. Only the local STS accepts it\.\n$/);
    expect(stderr).not.toContain(stdout.trim().split('.')[2]);
  });

  it('uses the running gateway\'s credentials file (gateway.json)', async () => {
    const elsewhere = path.join(scratch, 'elsewhere');
    writeRunningGateway(path.join(scratch, '.iam-http-api', 'gateway.json'), { url: 'http://127.0.0.1:1', stack: 'dev', region: 'us-east-1', pid: process.pid, credentialsFile: path.join(elsewhere, 'credentials') });
    const { code } = await cli(['web-token', '--repository', 'o/r'], {});
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(elsewhere, 'oidc-key.pem'))).toBe(true);
    expect(fs.existsSync(path.join(scratch, '.iam-http-api', 'oidc-key.pem'))).toBe(false);
  });

  it.each([
    [['web-token'], 'Missing --repository OWNER/REPO: the repository whose workflow the token is for, e.g. iam-http-api web-token --repository my-org/my-repo --branch main'],
    [['web-token', '--repository', 'o/r', '--branch', 'main', '--environment', 'prod'], 'Cannot mint the token: give a branch or an environment, not both (GitHub puts one of them in the sub claim).'],
    [['web-token', '--repository', 'nope'], 'Cannot mint the token: repository "nope" is not OWNER/REPO (letters, digits, -, and for the name also . and _).'],
    [['web-token', '--repository', 'o/r', '--expires-in', '2h'], '--expires-in 2h is not allowed: use a whole number of seconds from 1 to 3600.'],
    [['web-token', '--repository', 'o/r', '--expires-in', '7200'], 'Cannot mint the token: expires-in must be a whole number of seconds from 1 to 3600.'],
    [['web-token', '--repository', 'o/r', '--role-arn', 'x'], 'Unknown option --role-arn for "web-token". Run iam-http-api help for the commands and options.'],
    [['web-token', 'o/r'], 'web-token takes no arguments, only options: o/r. Run iam-http-api help for the commands and options.'],
  ])('%j: exit 1 with one line', async (args, message) => {
    const { code, stdout, stderr } = await cli(args, { IAM_HTTP_API_CREDENTIALS: path.join(scratch, 'credentials') });
    expect([code, stdout, stderr]).toEqual([1, '', `${message}\n`]);
  });

  it('is in the help text', async () => {
    const { stdout } = await cli(['help'], {});
    expect(stdout).toContain('iam-http-api web-token --repository O/R     Mint a GitHub Actions OIDC token the local STS accepts (AssumeRoleWithWebIdentity)');
    expect(stdout).toContain('      --environment NAME       Or the job\'s deployment environment (sub repo:OWNER/REPO:environment:NAME)');
  });
});

describe('the token with the AWS CLI against the local STS', () => {
  /** The AWS CLI with nothing of the developer's: no credentials, no config. */
  function awsEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: scratch, AWS_CONFIG_FILE: path.join(scratch, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'none'), AWS_EC2_METADATA_DISABLED: 'true', ...extra };
  }

  it('bin/iam-http-api.js web-token, then aws sts assume-role-with-web-identity and a CI job\'s get-caller-identity', async () => {
    const minted = await run(process.execPath, [BIN, 'web-token', '--repository', 'my-org/my-repo', '--branch', 'main'], { cwd: scratch, env: { PATH: process.env.PATH, IAM_HTTP_API_CREDENTIALS: env.credentialsFile } });
    const token = minted.stdout;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(minted.stderr).toBe('');

    const assumed = await run('aws', ['sts', 'assume-role-with-web-identity', '--endpoint-url', env.stsUrl, '--region', env.stack.region, '--output', 'json',
      '--role-arn', env.ciArn, '--role-session-name', 'aws-cli', '--web-identity-token', token], { env: awsEnv({}) });
    const out = JSON.parse(assumed.stdout) as { SubjectFromWebIdentityToken: string; Provider: string; Audience: string; AssumedRoleUser: { Arn: string }; Credentials: { AccessKeyId: string } };
    expect(out.SubjectFromWebIdentityToken).toBe('repo:my-org/my-repo:ref:refs/heads/main');
    expect(out.Provider).toBe('arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com');
    expect(out.Audience).toBe('sts.amazonaws.com');
    expect(out.AssumedRoleUser.Arn).toBe('arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-ci/aws-cli');
    expect(out.Credentials.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);

    const tokenFile = path.join(scratch, 'token.jwt');
    fs.writeFileSync(tokenFile, token, { mode: 0o600 });
    const job = await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], {
      env: awsEnv({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: env.ciArn, AWS_ROLE_SESSION_NAME: 'ci-job', AWS_ENDPOINT_URL_STS: env.stsUrl, AWS_DEFAULT_REGION: env.stack.region }),
    });
    expect(JSON.parse(job.stdout)).toMatchObject({ Arn: 'arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-ci/ci-job', Account: '123456789012' });
  }, 60_000);

  it('a token for another branch: the AWS CLI reports AccessDenied', async () => {
    const { stdout } = await cli(['web-token', '--repository', 'my-org/my-repo', '--branch', 'feature'], { IAM_HTTP_API_CREDENTIALS: env.credentialsFile });
    const failed = await run('aws', ['sts', 'assume-role-with-web-identity', '--endpoint-url', env.stsUrl, '--region', env.stack.region,
      '--role-arn', env.ciArn, '--role-session-name', 'aws-cli', '--web-identity-token', stdout.trim()], { env: awsEnv({}) }).then(() => undefined, (error: { stderr: string }) => error);
    expect(failed?.stderr.trim()).toBe('An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity');
  }, 60_000);
});
