import { ConfigError, resolveConfig } from '../../src/config/resolve';

function problemsOf(input: unknown): readonly string[] {
  try {
    resolveConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig defaults', () => {
  it('gives dev and prod stacks with the role-based invokers of the seed', () => {
    const stacks = resolveConfig({});
    expect(stacks.map((s) => s.environment)).toEqual(['dev', 'prod']);
    const dev = stacks[0];
    expect(dev.name).toBe('iam-http-api');
    expect(dev.region).toBe('us-east-1');
    expect(dev.cors.allowOrigins).toEqual(['http://127.0.0.1:5173']);
    expect(dev.lambda).toEqual({ runtime: 'nodejs22.x', memoryMb: 128, timeoutSeconds: 10, architecture: 'arm64', logRetentionDays: 14, environment: {} });
    expect(dev.invokers).toEqual({
      admin: { allow: ['* /*'] },
      editor: { allow: ['GET /*', 'POST /*', 'PUT /*', 'PATCH /*'] },
      viewer: { allow: ['GET /*'] },
    });
  });

  it('lets an environment override one field of a group and keep the rest', () => {
    const [prod] = resolveConfig({
      lambda: { memoryMb: 256 },
      environments: { prod: { lambda: { timeoutSeconds: 20 }, region: 'eu-west-1' } },
    });
    expect(prod.lambda.memoryMb).toBe(256);
    expect(prod.lambda.timeoutSeconds).toBe(20);
    expect(prod.lambda.architecture).toBe('arm64');
    expect(prod.region).toBe('eu-west-1');
  });

  it('replaces the invokers as a whole rather than merging them', () => {
    const [dev] = resolveConfig({
      invokers: { reader: { allow: ['GET /*'] } },
      environments: { dev: {} },
    });
    expect(Object.keys(dev.invokers)).toEqual(['reader']);
  });
});

describe('resolveConfig lambda.environment', () => {
  it('merges the shared variables with an environment\'s own, which win; values stay strings', () => {
    const [dev, prod] = resolveConfig({
      lambda: { environment: { TABLE_NAME: 'items', NODE_OPTIONS: '--enable-source-maps' } },
      environments: { dev: {}, prod: { lambda: { environment: { TABLE_NAME: 'items-prod', LANG: 'C.UTF-8' } } } },
    });
    expect(dev.lambda.environment).toEqual({ TABLE_NAME: 'items', NODE_OPTIONS: '--enable-source-maps' });
    expect(prod.lambda.environment).toEqual({ TABLE_NAME: 'items-prod', NODE_OPTIONS: '--enable-source-maps', LANG: 'C.UTF-8' });
  });

  it('accepts exactly 4096 bytes of variables as JSON', () => {
    // {"BIG":"…"}: 10 bytes + the value.
    expect(resolveConfig({ lambda: { environment: { BIG: 'x'.repeat(4086) } } })[0].lambda.environment.BIG).toHaveLength(4086);
  });

  it('refuses more than 4096 bytes, where written, or in an environment once merged with the shared ones', () => {
    expect(problemsOf({ lambda: { environment: { BIG: 'x'.repeat(4087) } } })).toEqual([
      'lambda.environment: the variables take 4097 bytes as JSON; Lambda allows 4096 (4 KB) in all',
    ]);
    const merged = { lambda: { environment: { SHARED: 'x'.repeat(2040) } }, environments: { dev: { lambda: { environment: { OWN_VALUE: 'y'.repeat(2040) } } } } };
    expect(problemsOf(merged)).toEqual(['environments.dev.lambda.environment: the variables take 4108 bytes as JSON; Lambda allows 4096 (4 KB) in all']);
  });
});

describe('resolveConfig errors name the field, the value and what is allowed', () => {
  it.each([
    [{ name: 'My API' }, 'name: "My API" is not allowed; use 2 to 32 lower-case letters, digits and dashes, starting with a letter'],
    [{ region: 'mars-1' }, 'region: "mars-1" is not an AWS region; use a region code such as "us-east-1" or "eu-west-1"'],
    [{ lambda: { memoryMb: 64 } }, 'lambda.memoryMb: 64 is not allowed; use a whole number from 128 to 10240'],
    [{ lambda: { timeoutSeconds: 60 } }, 'lambda.timeoutSeconds: 60 is not allowed; use a whole number from 1 to 30 (an HTTP API stops waiting for its integration after 30 seconds)'],
    [{ lambda: { architecture: 'arm' } }, 'lambda.architecture: "arm" is not allowed; use one of "arm64", "x86_64"'],
    [{ lambda: { runtime: 'nodejs18.x' } }, 'lambda.runtime: "nodejs18.x" is not allowed; use one of "nodejs22.x", "nodejs20.x"'],
    [{ lambda: { logRetentionDays: 10 } }, 'lambda.logRetentionDays: 10 is not allowed; use one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653'],
    [{ lambda: { memorySize: 256 } }, 'lambda.memorySize: unknown setting; allowed here: runtime, memoryMb, timeoutSeconds, architecture, logRetentionDays, environment'],
    [{ lambda: { environment: ['A=1'] } }, 'lambda.environment: a list is not allowed; give an object of variable names and string values, e.g. { TABLE_NAME: "items" }'],
    [{ lambda: { environment: { 'my-var': 'x' } } }, 'lambda.environment.my-var: the name is not allowed; Lambda takes 2 or more letters, digits and underscores, starting with a letter'],
    [{ lambda: { environment: { _X: 'x' } } }, 'lambda.environment._X: the name is not allowed; Lambda takes 2 or more letters, digits and underscores, starting with a letter'],
    [{ lambda: { environment: { A: 'x' } } }, 'lambda.environment.A: the name is not allowed; Lambda takes 2 or more letters, digits and underscores, starting with a letter'],
    [{ lambda: { environment: { AWS_REGION: 'eu-west-1' } } }, 'lambda.environment.AWS_REGION: reserved by Lambda, which sets it itself; choose another name'],
    [{ lambda: { environment: { AWS_SECRET_ACCESS_KEY: 'x' } } }, 'lambda.environment.AWS_SECRET_ACCESS_KEY: reserved by Lambda, which sets it itself; choose another name'],
    [{ lambda: { environment: { TZ: 'Europe/Paris' } } }, 'lambda.environment.TZ: reserved by Lambda, which sets it itself; choose another name'],
    [{ lambda: { environment: { PORT: 8080 } } }, "lambda.environment.PORT: 8080 is not allowed; a variable's value is a string"],
    [{ cors: { allowOrigins: ['https://app.example.com/'] } }, 'cors.allowOrigins[0]: "https://app.example.com/" is not an origin; use scheme://host[:port] with no path or trailing slash, or "*"'],
    [{ throttling: { rateLimit: 0 } }, 'throttling.rateLimit: 0 is not allowed; use a whole number from 1 to 10000'],
    [{ routes: ['FETCH /items'] }, 'routes[0]: "FETCH /items" is not a route key; use "METHOD /path" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY and path segments that are literal, {param} or a final {proxy+}'],
    [{ routes: ['OPTIONS /{proxy+}'] }, 'routes[0]: "OPTIONS /{proxy+}" is reserved for the unsigned CORS preflight routes the stack creates (OPTIONS /, OPTIONS /{proxy+})'],
    [{ routes: ['OPTIONS /'] }, 'routes[0]: "OPTIONS /" is reserved for the unsigned CORS preflight routes the stack creates (OPTIONS /, OPTIONS /{proxy+})'],
    [{ routes: ['GET /a', 'GET /a'] }, 'routes[1]: "GET /a" is listed twice'],
    [{ invokers: { viewer: { allow: ['GET items'] } } }, 'invokers.viewer.allow[0]: "GET items" is not a rule; use "METHOD /path" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, * and a path that may use * as a wildcard'],
    [{ invokers: { viewer: { allow: [] } } }, 'invokers.viewer.allow: an empty list is not allowed; give at least one rule such as "GET /*"'],
    [{ invokers: { Viewer: { allow: ['GET /*'] } } }, 'invokers.Viewer: the name is not allowed; use up to 32 lower-case letters, digits and dashes, starting with a letter'],
    [{ invokers: { viewer: { allow: ['GET /*'], pgpKey: '' } } }, 'invokers.viewer.pgpKey: "" is not allowed; give a base64-encoded PGP public key or "keybase:<username>"'],
    [{ environments: {} }, 'environments: an object is not allowed; name at least one environment, e.g. { dev: {} }'],
    [{ environments: { Prod: {} } }, 'environments.Prod: the name is not allowed; use up to 16 lower-case letters, digits and dashes, starting with a letter'],
    [{ environments: { prod: { lambda: { memoryMb: 1 } } } }, 'environments.prod.lambda.memoryMb: 1 is not allowed; use a whole number from 128 to 10240'],
    [{ enviroments: {} }, 'enviroments: unknown setting; allowed here: name, environments, region, lambda, cors, throttling, routes, invokers, accessLogRetentionDays'],
  ])('%j', (input, message) => {
    expect(problemsOf(input)).toEqual([message]);
  });

  it('reports every problem at once, in one error whose message lists them', () => {
    let error: unknown;
    try {
      resolveConfig({ region: 'nowhere', lambda: { memoryMb: 1, architecture: 'sparc' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'Invalid configuration (iam-http-api.config.ts), 3 problems:\n' +
        '  - region: "nowhere" is not an AWS region; use a region code such as "us-east-1" or "eu-west-1"\n' +
        '  - lambda.architecture: "sparc" is not allowed; use one of "arm64", "x86_64"\n' +
        '  - lambda.memoryMb: 1 is not allowed; use a whole number from 128 to 10240',
    );
  });

  it('rejects a configuration that is not an object', () => {
    expect(problemsOf(null)).toEqual(['the configuration must be an object, got null']);
  });
});

describe('resolveConfig role invokers', () => {
  const users = { admin: { allow: ['* /*'] }, viewer: { allow: ['GET /*'] } };
  const role = (extra: Record<string, unknown> = {}) => ({ kind: 'role', allow: ['GET /*'], assumableBy: { invokers: ['admin'] }, ...extra });
  const withRole = (deployer: unknown, env = 'dev') => ({ environments: { [env]: { invokers: { ...users, deployer } } } });
  const AT = 'environments.dev.invokers.deployer';

  it('accepts a role with every kind of principal and keeps kind optional for users', () => {
    const full = role({
      assumableBy: {
        invokers: ['admin', 'viewer'],
        accounts: [{ id: '210987654321', externalId: 'Partner+Id=1,2.@:/-_' }, { id: '123456789012' }],
        services: ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com'],
        githubOidc: { repository: 'my-org/my.repo_1', branch: 'release/*' },
      },
      maxSessionDurationSeconds: 43200,
    });
    const [dev] = resolveConfig(withRole(full));
    expect(dev.invokers.deployer).toEqual(full);
    expect(dev.invokers.admin).toEqual({ allow: ['* /*'] });
    expect(resolveConfig({ invokers: { viewer: { kind: 'user', allow: ['GET /*'] } } })[0].invokers.viewer).toEqual({ kind: 'user', allow: ['GET /*'] });
  });

  it.each([
    [role({ kind: 'group' }), `${AT}.kind: "group" is not allowed; use one of "user", "role" (default "user")`],
    [role({ pgpKey: 'keybase:x' }), `${AT}.pgpKey: unknown setting; allowed here: kind, allow, assumableBy, maxSessionDurationSeconds`],
    [{ allow: ['GET /*'], assumableBy: { invokers: ['admin'] } }, `${AT}.assumableBy: unknown setting; allowed here: kind, allow, pgpKey`],
    [role({ assumableBy: undefined }), `${AT}.assumableBy: nothing is not allowed; a role invoker needs an object naming who may assume it, e.g. { invokers: ["admin"] }, { accounts: [{ id: "123456789012" }] }, { services: ["lambda.amazonaws.com"] } or { githubOidc: { repository: "owner/name" } }`],
    [role({ assumableBy: { invokers: [] } }), `${AT}.assumableBy: names no one; give at least one of invokers, accounts, services, githubOidc, e.g. { invokers: ["admin"] }, { accounts: [{ id: "123456789012" }] }, { services: ["lambda.amazonaws.com"] } or { githubOidc: { repository: "owner/name" } }`],
    [role({ assumableBy: { invokers: ['admin'], users: ['admin'] } }), `${AT}.assumableBy.users: unknown setting; allowed here: invokers, accounts, services, githubOidc`],
    [role({ assumableBy: { invokers: ['Admin'] } }), `${AT}.assumableBy.invokers[0]: "Admin" is not an invoker name; use the name of a user invoker such as "admin"`],
    [role({ assumableBy: { invokers: ['deployer'] } }), `${AT}.assumableBy.invokers[0]: "deployer" is this role itself; name user invokers`],
    [role({ assumableBy: { invokers: ['admin', 'admin'] } }), `${AT}.assumableBy.invokers[1]: "admin" is listed twice`],
    [role({ assumableBy: { invokers: ['editor'] } }), `${AT}.assumableBy.invokers[0]: "editor" is not an invoker here; the invokers are "admin", "viewer", "deployer"`],
    [role({ assumableBy: { accounts: [{ id: 210987654321 }] } }), `${AT}.assumableBy.accounts[0].id: 210987654321 is not an AWS account id; give its 12 digits as a string, e.g. "123456789012"`],
    [role({ assumableBy: { accounts: [{ id: '21098765432' }] } }), `${AT}.assumableBy.accounts[0].id: "21098765432" is not an AWS account id; give its 12 digits as a string, e.g. "123456789012"`],
    [role({ assumableBy: { accounts: [{ id: '210987654321' }, { id: '210987654321' }] } }), `${AT}.assumableBy.accounts[1].id: "210987654321" is listed twice`],
    [role({ assumableBy: { accounts: [{ id: '210987654321', externalId: 'x' }] } }), `${AT}.assumableBy.accounts[0].externalId: "x" is not allowed; AWS takes 2 to 1224 letters, digits and _+=,.@:/- characters`],
    [role({ assumableBy: { accounts: [{ id: '210987654321', externalId: 'has space' }] } }), `${AT}.assumableBy.accounts[0].externalId: "has space" is not allowed; AWS takes 2 to 1224 letters, digits and _+=,.@:/- characters`],
    [role({ assumableBy: { accounts: [{ id: '210987654321', externalId: 'x'.repeat(1225) }] } }), `${AT}.assumableBy.accounts[0].externalId: "${'x'.repeat(1225)}" is not allowed; AWS takes 2 to 1224 letters, digits and _+=,.@:/- characters`],
    [role({ assumableBy: { accounts: [{ id: '210987654321', extId: 'ab' }] } }), `${AT}.assumableBy.accounts[0].extId: unknown setting; allowed here: id, externalId`],
    [role({ assumableBy: { accounts: ['210987654321'] } }), `${AT}.assumableBy.accounts[0]: "210987654321" is not allowed; give an object with id (12 digits) and optionally externalId`],
    [role({ assumableBy: { services: ['lambda'] } }), `${AT}.assumableBy.services[0]: "lambda" is not a service principal; use <service>.amazonaws.com, e.g. "lambda.amazonaws.com"`],
    [role({ assumableBy: { services: ['*.amazonaws.com'] } }), `${AT}.assumableBy.services[0]: "*.amazonaws.com" is not a service principal; use <service>.amazonaws.com, e.g. "lambda.amazonaws.com"`],
    [role({ assumableBy: { services: 'lambda.amazonaws.com' } }), `${AT}.assumableBy.services: "lambda.amazonaws.com" is not allowed; give a list of service principals such as ["lambda.amazonaws.com"]`],
    [role({ assumableBy: { githubOidc: { repository: 'just-a-repo' } } }), `${AT}.assumableBy.githubOidc.repository: "just-a-repo" is not a GitHub repository; use "owner/name"`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', branch: 'main', environment: 'prod' } } }), `${AT}.assumableBy.githubOidc: give branch or environment, not both; a job that uses an environment gets a token whose subject names the environment, not the branch`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', branch: 'has space' } } }), `${AT}.assumableBy.githubOidc.branch: "has space" is not allowed; give a branch name such as "main" (letters, digits and ._/+-, * as a wildcard)`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', environment: 'a:b' } } }), `${AT}.assumableBy.githubOidc.environment: "a:b" is not allowed; give a GitHub environment name such as "prod" (letters, digits and ._-)`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', repo: 'org/repo' } } }), `${AT}.assumableBy.githubOidc.repo: unknown setting; allowed here: repository, branch, environment, providerArn`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', providerArn: 'arn:aws:iam::123456789012:oidc-provider/accounts.google.com' } } }), `${AT}.assumableBy.githubOidc.providerArn: "arn:aws:iam::123456789012:oidc-provider/accounts.google.com" is not the ARN of an IAM OIDC provider for token.actions.githubusercontent.com; use "arn:aws:iam::<12-digit account id>:oidc-provider/token.actions.githubusercontent.com", or leave it out to have the stack create the provider`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', providerArn: 'arn:aws:iam::12345:oidc-provider/token.actions.githubusercontent.com' } } }), `${AT}.assumableBy.githubOidc.providerArn: "arn:aws:iam::12345:oidc-provider/token.actions.githubusercontent.com" is not the ARN of an IAM OIDC provider for token.actions.githubusercontent.com; use "arn:aws:iam::<12-digit account id>:oidc-provider/token.actions.githubusercontent.com", or leave it out to have the stack create the provider`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', providerArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/my-enterprise' } } }), `${AT}.assumableBy.githubOidc.providerArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/my-enterprise" is not the ARN of an IAM OIDC provider for token.actions.githubusercontent.com; use "arn:aws:iam::<12-digit account id>:oidc-provider/token.actions.githubusercontent.com", or leave it out to have the stack create the provider`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', providerArn: 'https://token.actions.githubusercontent.com' } } }), `${AT}.assumableBy.githubOidc.providerArn: "https://token.actions.githubusercontent.com" is not the ARN of an IAM OIDC provider for token.actions.githubusercontent.com; use "arn:aws:iam::<12-digit account id>:oidc-provider/token.actions.githubusercontent.com", or leave it out to have the stack create the provider`],
    [role({ assumableBy: { githubOidc: { repository: 'org/repo', providerArn: 42 } } }), `${AT}.assumableBy.githubOidc.providerArn: 42 is not the ARN of an IAM OIDC provider for token.actions.githubusercontent.com; use "arn:aws:iam::<12-digit account id>:oidc-provider/token.actions.githubusercontent.com", or leave it out to have the stack create the provider`],
    [role({ maxSessionDurationSeconds: 3599 }), `${AT}.maxSessionDurationSeconds: 3599 is not allowed; use a whole number from 3600 to 43200 (IAM's range for a role's maximum session; default 3600)`],
    [role({ maxSessionDurationSeconds: 43201 }), `${AT}.maxSessionDurationSeconds: 43201 is not allowed; use a whole number from 3600 to 43200 (IAM's range for a role's maximum session; default 3600)`],
    [role({ maxSessionDurationSeconds: 7200.5 }), `${AT}.maxSessionDurationSeconds: 7200.5 is not allowed; use a whole number from 3600 to 43200 (IAM's range for a role's maximum session; default 3600)`],
    [role({ maxSessionDurationSeconds: '7200' }), `${AT}.maxSessionDurationSeconds: "7200" is not allowed; use a whole number from 3600 to 43200 (IAM's range for a role's maximum session; default 3600)`],
  ])('%j', (deployer, message) => {
    expect(problemsOf(withRole(deployer))).toEqual([message]);
  });

  it('accepts an existing GitHub OIDC provider by ARN, in every partition', () => {
    for (const arn of [
      'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
      'arn:aws-cn:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
      'arn:aws-us-gov:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
    ]) {
      const deployer = role({ assumableBy: { githubOidc: { repository: 'org/repo', branch: 'main', providerArn: arn } } });
      expect(resolveConfig(withRole(deployer))[0].invokers.deployer).toEqual(deployer);
    }
  });

  it('makes the roles of one stack agree on the GitHub OIDC provider: all the same providerArn, or none', () => {
    const arn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    const gh = (providerArn?: string) => role({ assumableBy: { githubOidc: { repository: 'org/repo', ...(providerArn ? { providerArn } : {}) } } });
    expect(resolveConfig({ invokers: { ...users, a: gh(arn), b: gh(arn), c: gh(), d: gh() }, environments: { dev: { invokers: { ...users, a: gh(arn), b: gh(arn) } } } })).toHaveLength(1);
    expect(problemsOf({ environments: { dev: { invokers: { ...users, a: gh(), b: gh(arn) } } } })).toEqual([
      `environments.dev.invokers.b.assumableBy.githubOidc.providerArn: "${arn}" differs from role invoker "a", which creates the provider (no providerArn); the roles of one stack share one GitHub OIDC provider (IAM allows one per URL per account): give them all the same providerArn, or none`,
    ]);
    const other = 'arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com';
    expect(problemsOf({ invokers: { ...users, a: gh(arn), b: gh(other), c: gh() } })).toEqual([
      `invokers.b.assumableBy.githubOidc.providerArn: "${other}" differs from role invoker "a", which references "${arn}"; the roles of one stack share one GitHub OIDC provider (IAM allows one per URL per account): give them all the same providerArn, or none`,
      `invokers.c.assumableBy.githubOidc.providerArn: nothing differs from role invoker "a", which references "${arn}"; the roles of one stack share one GitHub OIDC provider (IAM allows one per URL per account): give them all the same providerArn, or none`,
    ]);
  });

  it('refuses a role as the invoker a role is assumable by', () => {
    const input = { invokers: { ...users, builder: role(), deployer: role({ assumableBy: { invokers: ['builder'] } }) } };
    expect(problemsOf(input)).toEqual(['invokers.deployer.assumableBy.invokers[0]: "builder" is a role invoker; only user invokers may be named here']);
  });

  it('checks shared invokers once, not once per environment', () => {
    expect(problemsOf({ invokers: { viewer: { allow: ['GET /*'] }, deployer: role() } })).toEqual([
      'invokers.deployer.assumableBy.invokers[0]: "admin" is not an invoker here; the invokers are "viewer", "deployer"',
    ]);
  });

  it('ships a role invoker in the project\'s dev configuration only', async () => {
    const { default: config } = await import('../../iam-http-api.config');
    const [dev, prod] = resolveConfig(config);
    expect(dev.invokers.deployer).toEqual({ kind: 'role', allow: ['GET /*'], assumableBy: { invokers: ['admin'] }, maxSessionDurationSeconds: 3600 });
    expect(Object.values(prod.invokers).every((i) => i.kind === undefined)).toBe(true);
  });
});

describe('resolveConfig generated IAM names', () => {
  // 32 + 1 + 16 = 49 characters of prefix, and a dash: 14 left for an invoker name within IAM's 64.
  const project = 'p'.repeat(32);
  const environment = 'e'.repeat(16);
  const prefix = `${project}-${environment}`;

  it('accepts the longest project and environment names with an invoker name that fits exactly', () => {
    const invokers = { ['v'.repeat(14)]: { allow: ['GET /*'] }, ['r'.repeat(14)]: { kind: 'role', allow: ['GET /*'], assumableBy: { services: ['lambda.amazonaws.com'] } } };
    const [stack] = resolveConfig({ name: project, environments: { [environment]: { invokers } } });
    expect(`${prefix}-${'v'.repeat(14)}`).toHaveLength(64);
    expect(Object.keys(stack.invokers)).toHaveLength(2);
  });

  it('names the invoker, the generated user or role name and its length when it is longer than IAM allows', () => {
    const invokers = {
      ['v'.repeat(15)]: { allow: ['GET /*'] },
      ['r'.repeat(20)]: { kind: 'role', allow: ['GET /*'], assumableBy: { services: ['lambda.amazonaws.com'] } },
    };
    expect(problemsOf({ name: project, environments: { [environment]: { invokers } } })).toEqual([
      `environments.${environment}.invokers.${'v'.repeat(15)}: the IAM user name "${prefix}-${'v'.repeat(15)}" is 65 characters; IAM allows at most 64 (CreateUser UserName); shorten the project name ("${project}"), the environment name ("${environment}") or the invoker name ("${'v'.repeat(15)}")`,
      `environments.${environment}.invokers.${'r'.repeat(20)}: the IAM role name "${prefix}-${'r'.repeat(20)}" is 70 characters; IAM allows at most 64 (CreateRole RoleName); shorten the project name ("${project}"), the environment name ("${environment}") or the invoker name ("${'r'.repeat(20)}")`,
    ]);
  });

  it('checks shared invokers per environment, saying which environment makes the name too long', () => {
    const input = { name: project, invokers: { ['x'.repeat(15)]: { allow: ['GET /*'] } }, environments: { dev: {}, [environment]: {} } };
    expect(problemsOf(input)).toEqual([
      `invokers.${'x'.repeat(15)}: the IAM user name "${prefix}-${'x'.repeat(15)}" is 65 characters; IAM allows at most 64 (CreateUser UserName) in environment "${environment}"; shorten the project name ("${project}"), the environment name ("${environment}") or the invoker name ("${'x'.repeat(15)}")`,
    ]);
  });

  it('does not pile a length error on a name that is already invalid', () => {
    expect(problemsOf({ name: 'P'.repeat(40), invokers: { ['v'.repeat(32)]: { allow: ['GET /*'] } } })).toEqual([
      'name: "' + 'P'.repeat(40) + '" is not allowed; use 2 to 32 lower-case letters, digits and dashes, starting with a letter',
    ]);
  });
});
