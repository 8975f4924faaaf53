/**
 * Turns what the user wrote into one complete `StackConfig` per environment, or throws a
 * single `ConfigError` naming every bad field, what was given and what is allowed.
 *
 * Each field is checked where the user wrote it (top level or `environments.<env>`), so one
 * mistake is reported once; defaults are known to be valid.
 */
import {
  DEFAULT_ENVIRONMENTS,
  DEFAULT_NAME,
  defaultEnvironmentSettings,
  PREFLIGHT_ROUTES,
} from './defaults';
import { handlerName, iamNameProblem, iamPath, iamPathProblem, invokerIamName, resourcePrefix } from './iam-names';
import { routePathProblem } from './route-path';
import {
  HTTP_METHODS,
  LAMBDA_ARCHITECTURES,
  LAMBDA_ENV_MAX_BYTES,
  LAMBDA_RESERVED_ENV,
  LAMBDA_RUNTIMES,
  LOG_RETENTION_DAYS,
  type EnvironmentSettings,
  DEFAULT_MAX_SESSION_SECONDS,
  isRoleInvoker,
  type InvokerSettings,
  type MethodAndPath,
  type StackConfig,
} from './types';

/** Thrown for an invalid configuration; `problems` holds one line per bad field. */
export class ConfigError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(
      `Invalid configuration (iam-http-api.config.ts), ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

type Problems = string[];
type Obj = Record<string, unknown>;

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9-]{0,15}$/;
const INVOKER_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** Characters API Gateway accepts in a route path, plus `*` in invoker rules. */
const PATH_CHARS = /^\/[A-Za-z0-9\-._~!$&'()+,;=:@%/{}*]*$/;

const TOP_LEVEL_KEYS = ['name', 'environments', ...settingKeys()];
const ENVIRONMENT_KEYS = settingKeys();
const LAMBDA_KEYS = ['runtime', 'memoryMb', 'timeoutSeconds', 'architecture', 'logRetentionDays', 'environment'];
/**
 * Lambda's rule for variable names: "Keys start with a letter and are at least two characters.
 * Keys only contain letters, numbers, and the underscore character (_)." (AWS docs, "Using AWS
 * Lambda environment variables", https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
 */
const ENV_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]+$/;
const THROTTLING_KEYS = ['rateLimit', 'burstLimit'];
const CORS_KEYS = ['allowOrigins'];
const INVOKER_KEYS = ['kind', 'allow', 'pgpKey'];
const ROLE_INVOKER_KEYS = ['kind', 'allow', 'assumableBy', 'maxSessionDurationSeconds'];
const ASSUMABLE_BY_KEYS = ['invokers', 'accounts', 'services', 'githubOidc'];
const ACCOUNT_KEYS = ['id', 'externalId'];
const GITHUB_OIDC_KEYS = ['repository', 'branch', 'environment', 'providerArn'];
/**
 * An IAM OIDC provider's ARN is `arn:<partition>:iam::<account>:oidc-provider/<url without https://>`
 * (IAM User Guide, "Configuring a role for GitHub OIDC identity provider":
 * "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub).
 * Only GitHub's public issuer is accepted (not a GitHub Enterprise issuer with a path): the
 * trust conditions the stack writes name `token.actions.githubusercontent.com:` keys.
 */
const GITHUB_PROVIDER_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
const INVOKER_KINDS = ['user', 'role'] as const;
const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** AssumeRole's ExternalId: "Length Constraints: Minimum length of 2. Maximum length of 1224. Pattern: [\w+=,.@:\/-]*" (STS API Reference). */
const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
/** Service principals: `<service>.amazonaws.com`, as IAM names them in trust policies. */
const SERVICE_PRINCIPAL_PATTERN = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com$/;
/** GitHub: owners are letters, digits and dashes (up to 39); repositories letters, digits, `.`, `_`, `-` (up to 100). */
const REPOSITORY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
/** A branch name as it appears in the token's `sub` (`ref:refs/heads/<branch>`); `*` is IAM's wildcard. */
const BRANCH_PATTERN = /^[A-Za-z0-9._/*+-]{1,255}$/;
const GITHUB_ENVIRONMENT_PATTERN = /^[A-Za-z0-9._-]{1,255}$/;
/** IAM's MaxSessionDuration bounds (CreateRole: "Valid Range: Minimum value of 3600. Maximum value of 43200."). */
const MIN_SESSION_SECONDS = 3600;
const MAX_SESSION_SECONDS = 43200;

function settingKeys(): string[] {
  return Object.keys(defaultEnvironmentSettings());
}

/** Validates `input` and returns one stack configuration per environment, in the order written. */
export function resolveConfig(input: unknown): StackConfig[] {
  const problems: Problems = [];
  if (!isObject(input)) {
    throw new ConfigError([`the configuration must be an object, got ${describe(input)}`]);
  }
  checkKeys(input, '', TOP_LEVEL_KEYS, problems);

  const name = input.name === undefined ? DEFAULT_NAME : input.name;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    problems.push(
      `name: ${describe(name)} is not allowed; use 2 to 32 lower-case letters, digits and dashes, starting with a letter`,
    );
  }

  const shared = checkSettings(input, '', problems);
  const environments = input.environments === undefined ? defaultEnvironmentsObject() : input.environments;
  const stacks: StackConfig[] = [];
  if (!isObject(environments) || Object.keys(environments).length === 0) {
    problems.push(`environments: ${describe(environments)} is not allowed; name at least one environment, e.g. { dev: {} }`);
  } else {
    for (const [environment, overrides] of Object.entries(environments)) {
      const at = `environments.${environment}`;
      if (!ENVIRONMENT_PATTERN.test(environment)) {
        problems.push(`${at}: the name is not allowed; use up to 16 lower-case letters, digits and dashes, starting with a letter`);
      }
      if (!isObject(overrides)) {
        problems.push(`${at}: ${describe(overrides)} is not allowed; give an object of settings (or {})`);
        continue;
      }
      checkKeys(overrides, `${at}.`, ENVIRONMENT_KEYS, problems);
      const own = checkSettings(overrides, `${at}.`, problems);
      const settings = merge(merge(defaultEnvironmentSettings(), shared), own);
      // The shared variables and the environment's own are merged: the quota is on the result.
      const envProblem = environmentSizeProblem(settings.lambda.environment);
      if (envProblem) problems.push(`${at}.lambda.environment: ${envProblem}`);
      // Invokers are replaced as a whole: a role's invokers are checked against the list in force.
      const invokersAt = own.invokers !== undefined ? `${at}.invokers` : 'invokers';
      for (const problem of assumableInvokerProblems(settings.invokers, invokersAt)) {
        if (!problems.includes(problem)) problems.push(problem);
      }
      for (const problem of githubProviderProblems(settings.invokers, invokersAt)) {
        if (!problems.includes(problem)) problems.push(problem);
      }
      // The composed names only when their parts are valid (each part's own problem is reported already).
      if (typeof name === 'string' && NAME_PATTERN.test(name) && ENVIRONMENT_PATTERN.test(environment)) {
        for (const problem of generatedNameProblems(name, environment, settings.invokers, invokersAt, own.invokers === undefined)) {
          if (!problems.includes(problem)) problems.push(problem);
        }
      }
      stacks.push({ name: String(name), environment, ...settings });
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return stacks;
}

function defaultEnvironmentsObject(): Obj {
  return Object.fromEntries(DEFAULT_ENVIRONMENTS.map((e) => [e, {}]));
}

/** A partial `EnvironmentSettings` holding only the valid fields present in `source`. */
type PartialSettings = {
  -readonly [K in keyof EnvironmentSettings]?: K extends 'lambda' | 'cors' | 'throttling'
    ? Partial<EnvironmentSettings[K]>
    : EnvironmentSettings[K];
};

function checkSettings(source: Obj, at: string, problems: Problems): PartialSettings {
  const out: PartialSettings = {};
  if (source.region !== undefined) {
    if (typeof source.region === 'string' && REGION_PATTERN.test(source.region)) out.region = source.region;
    else problems.push(`${at}region: ${describe(source.region)} is not an AWS region; use a region code such as "us-east-1" or "eu-west-1"`);
  }
  if (source.lambda !== undefined) out.lambda = checkLambda(source.lambda, `${at}lambda`, problems);
  if (source.cors !== undefined) out.cors = checkCors(source.cors, `${at}cors`, problems);
  if (source.throttling !== undefined) out.throttling = checkThrottling(source.throttling, `${at}throttling`, problems);
  if (source.routes !== undefined) out.routes = checkRoutes(source.routes, `${at}routes`, problems) as EnvironmentSettings['routes'];
  if (source.invokers !== undefined) out.invokers = checkInvokers(source.invokers, `${at}invokers`, problems);
  if (source.accessLogRetentionDays !== undefined) {
    const days = checkOneOf(source.accessLogRetentionDays, `${at}accessLogRetentionDays`, LOG_RETENTION_DAYS, problems);
    if (days !== undefined) out.accessLogRetentionDays = days;
  }
  return out;
}

function checkLambda(value: unknown, at: string, problems: Problems): Partial<EnvironmentSettings['lambda']> {
  if (!isObject(value)) {
    problems.push(`${at}: ${describe(value)} is not allowed; give an object with ${LAMBDA_KEYS.join(', ')}`);
    return {};
  }
  checkKeys(value, `${at}.`, LAMBDA_KEYS, problems);
  const out: { -readonly [K in keyof EnvironmentSettings['lambda']]?: EnvironmentSettings['lambda'][K] } = {};
  if (value.runtime !== undefined) out.runtime = checkOneOf(value.runtime, `${at}.runtime`, LAMBDA_RUNTIMES, problems);
  if (value.architecture !== undefined) {
    out.architecture = checkOneOf(value.architecture, `${at}.architecture`, LAMBDA_ARCHITECTURES, problems);
  }
  if (value.logRetentionDays !== undefined) {
    out.logRetentionDays = checkOneOf(value.logRetentionDays, `${at}.logRetentionDays`, LOG_RETENTION_DAYS, problems);
  }
  if (value.memoryMb !== undefined) out.memoryMb = checkInteger(value.memoryMb, `${at}.memoryMb`, 128, 10240, problems);
  if (value.timeoutSeconds !== undefined) {
    out.timeoutSeconds = checkInteger(value.timeoutSeconds, `${at}.timeoutSeconds`, 1, 30, problems,
      ' (an HTTP API stops waiting for its integration after 30 seconds)');
  }
  if (value.environment !== undefined) out.environment = checkEnvironment(value.environment, `${at}.environment`, problems);
  return dropUndefined(out);
}

function checkEnvironment(value: unknown, at: string, problems: Problems): Record<string, string> | undefined {
  if (!isObject(value)) {
    problems.push(`${at}: ${describe(value)} is not allowed; give an object of variable names and string values, e.g. { TABLE_NAME: "items" }`);
    return undefined;
  }
  const before = problems.length;
  const reserved: readonly string[] = LAMBDA_RESERVED_ENV;
  for (const [key, item] of Object.entries(value)) {
    if (!ENV_NAME_PATTERN.test(key)) {
      problems.push(`${at}.${key}: the name is not allowed; Lambda takes 2 or more letters, digits and underscores, starting with a letter`);
    } else if (reserved.includes(key)) {
      problems.push(`${at}.${key}: reserved by Lambda, which sets it itself; choose another name`);
    }
    if (typeof item !== 'string') {
      problems.push(`${at}.${key}: ${describe(item)} is not allowed; a variable's value is a string`);
    }
  }
  if (problems.length > before) return undefined;
  const sizeProblem = environmentSizeProblem(value as Record<string, string>);
  if (sizeProblem) {
    problems.push(`${at}: ${sizeProblem}`);
    return undefined;
  }
  return value as Record<string, string>;
}

/**
 * Lambda measures its 4 KB quota on the variables as JSON: "...exceeded the 4KB limit. String
 * measured: {"POWERTOOLS_LOGGER_LOG_EVENT":"true",...}" (a live InvalidParameterValueException,
 * github-aws-runners/terraform-aws-github-runner#3594). Counted here the same way, in UTF-8 bytes.
 */
function environmentSizeProblem(variables: Readonly<Record<string, string>>): string | undefined {
  const size = Buffer.byteLength(JSON.stringify(variables), 'utf8');
  return size > LAMBDA_ENV_MAX_BYTES
    ? `the variables take ${size} bytes as JSON; Lambda allows ${LAMBDA_ENV_MAX_BYTES} (4 KB) in all`
    : undefined;
}

function checkCors(value: unknown, at: string, problems: Problems): Partial<EnvironmentSettings['cors']> {
  if (!isObject(value)) {
    problems.push(`${at}: ${describe(value)} is not allowed; give an object with allowOrigins`);
    return {};
  }
  checkKeys(value, `${at}.`, CORS_KEYS, problems);
  if (value.allowOrigins === undefined) return {};
  if (!Array.isArray(value.allowOrigins)) {
    problems.push(`${at}.allowOrigins: ${describe(value.allowOrigins)} is not allowed; give a list of origins such as ["https://app.example.com"]`);
    return {};
  }
  const before = problems.length;
  value.allowOrigins.forEach((origin: unknown, i: number) => {
    if (!isOrigin(origin)) {
      problems.push(`${at}.allowOrigins[${i}]: ${describe(origin)} is not an origin; use scheme://host[:port] with no path or trailing slash, or "*"`);
    }
  });
  return problems.length === before ? { allowOrigins: value.allowOrigins as string[] } : {};
}

function isOrigin(value: unknown): value is string {
  if (value === '*') return true;
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

function checkThrottling(value: unknown, at: string, problems: Problems): Partial<EnvironmentSettings['throttling']> {
  if (!isObject(value)) {
    problems.push(`${at}: ${describe(value)} is not allowed; give an object with rateLimit and burstLimit`);
    return {};
  }
  checkKeys(value, `${at}.`, THROTTLING_KEYS, problems);
  return dropUndefined({
    rateLimit: value.rateLimit === undefined ? undefined : checkInteger(value.rateLimit, `${at}.rateLimit`, 1, 10000, problems),
    burstLimit: value.burstLimit === undefined ? undefined : checkInteger(value.burstLimit, `${at}.burstLimit`, 1, 5000, problems),
  });
}

function checkRoutes(value: unknown, at: string, problems: Problems): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${at}: ${describe(value)} is not allowed; give a list of route keys such as ["GET /items", "POST /items/{id}"]`);
    return undefined;
  }
  const before = problems.length;
  const seen = new Set<string>();
  value.forEach((key: unknown, i: number) => {
    const where = `${at}[${i}]`;
    const parsed = typeof key === 'string' ? parseMethodAndPath(key) : undefined;
    if (!parsed || !(parsed.method === 'ANY' || isHttpMethod(parsed.method)) || !isRoutePath(parsed.path)) {
      problems.push(`${where}: ${describe(key)} is not a route key; use "METHOD /path" with METHOD one of ${[...HTTP_METHODS, 'ANY'].join(', ')} and path segments that are literal, {param} or a final {proxy+}`);
    } else if ((PREFLIGHT_ROUTES as readonly string[]).includes(`${parsed.method} ${parsed.path}`)) {
      problems.push(`${where}: "${parsed.method} ${parsed.path}" is reserved for the unsigned CORS preflight routes the stack creates (${PREFLIGHT_ROUTES.join(', ')})`);
    } else if (seen.has(key as string)) {
      problems.push(`${where}: ${describe(key)} is listed twice`);
    }
    seen.add(key as string);
  });
  return problems.length === before ? (value as string[]) : undefined;
}

function checkInvokers(value: unknown, at: string, problems: Problems): Record<string, InvokerSettings> | undefined {
  if (!isObject(value)) {
    problems.push(`${at}: ${describe(value)} is not allowed; give an object of invokers, e.g. { viewer: { allow: ["GET /*"] } }`);
    return undefined;
  }
  const before = problems.length;
  for (const [name, invoker] of Object.entries(value)) {
    const where = `${at}.${name}`;
    if (!INVOKER_PATTERN.test(name)) {
      problems.push(`${where}: the name is not allowed; use up to 32 lower-case letters, digits and dashes, starting with a letter`);
    }
    if (!isObject(invoker)) {
      problems.push(`${where}: ${describe(invoker)} is not allowed; give an object with allow (and optionally pgpKey)`);
      continue;
    }
    if (invoker.kind !== undefined && !(INVOKER_KINDS as readonly unknown[]).includes(invoker.kind)) {
      problems.push(`${where}.kind: ${describe(invoker.kind)} is not allowed; use one of ${INVOKER_KINDS.map((k) => JSON.stringify(k)).join(', ')} (default "user")`);
      continue;
    }
    const isRole = invoker.kind === 'role';
    checkKeys(invoker, `${where}.`, isRole ? ROLE_INVOKER_KEYS : INVOKER_KEYS, problems);
    if (!Array.isArray(invoker.allow) || invoker.allow.length === 0) {
      problems.push(`${where}.allow: ${describe(invoker.allow)} is not allowed; give at least one rule such as "GET /*"`);
    } else {
      invoker.allow.forEach((rule: unknown, i: number) => {
        const parsed = typeof rule === 'string' ? parseMethodAndPath(rule) : undefined;
        if (!parsed || !(parsed.method === '*' || isHttpMethod(parsed.method)) || !PATH_CHARS.test(parsed.path)) {
          problems.push(`${where}.allow[${i}]: ${describe(rule)} is not a rule; use "METHOD /path" with METHOD one of ${[...HTTP_METHODS, '*'].join(', ')} and a path that may use * as a wildcard`);
        }
      });
    }
    if (isRole) {
      checkAssumableBy(invoker.assumableBy, `${where}.assumableBy`, name, problems);
      if (invoker.maxSessionDurationSeconds !== undefined) {
        checkInteger(invoker.maxSessionDurationSeconds, `${where}.maxSessionDurationSeconds`, MIN_SESSION_SECONDS, MAX_SESSION_SECONDS, problems,
          ` (IAM's range for a role's maximum session; default ${DEFAULT_MAX_SESSION_SECONDS})`);
      }
    } else if (invoker.pgpKey !== undefined && (typeof invoker.pgpKey !== 'string' || invoker.pgpKey.trim() === '')) {
      problems.push(`${where}.pgpKey: ${describe(invoker.pgpKey)} is not allowed; give a base64-encoded PGP public key or "keybase:<username>"`);
    }
  }
  return problems.length === before ? (value as Record<string, InvokerSettings>) : undefined;
}

/** Checks a role invoker's `assumableBy` on its own; the invokers it names are checked per environment. */
function checkAssumableBy(value: unknown, at: string, roleName: string, problems: Problems): void {
  const example = '{ invokers: ["admin"] }, { accounts: [{ id: "123456789012" }] }, { services: ["lambda.amazonaws.com"] } or { githubOidc: { repository: "owner/name" } }';
  if (!isObject(value)) {
    problems.push(`${at}: ${describe(value)} is not allowed; a role invoker needs an object naming who may assume it, e.g. ${example}`);
    return;
  }
  checkKeys(value, `${at}.`, ASSUMABLE_BY_KEYS, problems);
  const given = ASSUMABLE_BY_KEYS.filter((key) => value[key] !== undefined && !(Array.isArray(value[key]) && (value[key] as unknown[]).length === 0));
  if (given.length === 0) {
    problems.push(`${at}: names no one; give at least one of ${ASSUMABLE_BY_KEYS.join(', ')}, e.g. ${example}`);
  }
  if (value.invokers !== undefined) {
    if (!Array.isArray(value.invokers)) {
      problems.push(`${at}.invokers: ${describe(value.invokers)} is not allowed; give a list of user invoker names such as ["admin"]`);
    } else {
      const seen = new Set<unknown>();
      value.invokers.forEach((item: unknown, i: number) => {
        if (typeof item !== 'string' || !INVOKER_PATTERN.test(item)) {
          problems.push(`${at}.invokers[${i}]: ${describe(item)} is not an invoker name; use the name of a user invoker such as "admin"`);
        } else if (item === roleName) {
          problems.push(`${at}.invokers[${i}]: "${item}" is this role itself; name user invokers`);
        } else if (seen.has(item)) {
          problems.push(`${at}.invokers[${i}]: "${item}" is listed twice`);
        }
        seen.add(item);
      });
    }
  }
  if (value.accounts !== undefined) {
    if (!Array.isArray(value.accounts)) {
      problems.push(`${at}.accounts: ${describe(value.accounts)} is not allowed; give a list such as [{ id: "123456789012", externalId: "..." }]`);
    } else {
      const seen = new Set<unknown>();
      value.accounts.forEach((account: unknown, i: number) => {
        const where = `${at}.accounts[${i}]`;
        if (!isObject(account)) {
          problems.push(`${where}: ${describe(account)} is not allowed; give an object with id (12 digits) and optionally externalId`);
          return;
        }
        checkKeys(account, `${where}.`, ACCOUNT_KEYS, problems);
        if (typeof account.id !== 'string' || !ACCOUNT_ID_PATTERN.test(account.id)) {
          problems.push(`${where}.id: ${describe(account.id)} is not an AWS account id; give its 12 digits as a string, e.g. "123456789012"`);
        } else if (seen.has(account.id)) {
          problems.push(`${where}.id: "${account.id}" is listed twice`);
        }
        seen.add(account.id);
        if (account.externalId !== undefined && (typeof account.externalId !== 'string' || !EXTERNAL_ID_PATTERN.test(account.externalId))) {
          problems.push(`${where}.externalId: ${describe(account.externalId)} is not allowed; AWS takes 2 to 1224 letters, digits and _+=,.@:/- characters`);
        }
      });
    }
  }
  if (value.services !== undefined) {
    if (!Array.isArray(value.services)) {
      problems.push(`${at}.services: ${describe(value.services)} is not allowed; give a list of service principals such as ["lambda.amazonaws.com"]`);
    } else {
      const seen = new Set<unknown>();
      value.services.forEach((service: unknown, i: number) => {
        if (typeof service !== 'string' || !SERVICE_PRINCIPAL_PATTERN.test(service)) {
          problems.push(`${at}.services[${i}]: ${describe(service)} is not a service principal; use <service>.amazonaws.com, e.g. "lambda.amazonaws.com"`);
        } else if (seen.has(service)) {
          problems.push(`${at}.services[${i}]: "${service}" is listed twice`);
        }
        seen.add(service);
      });
    }
  }
  if (value.githubOidc !== undefined) checkGithubOidc(value.githubOidc, `${at}.githubOidc`, problems);
}

function checkGithubOidc(value: unknown, at: string, problems: Problems): void {
  if (!isObject(value)) {
    problems.push(`${at}: ${describe(value)} is not allowed; give an object with repository ("owner/name") and optionally branch or environment`);
    return;
  }
  checkKeys(value, `${at}.`, GITHUB_OIDC_KEYS, problems);
  if (typeof value.repository !== 'string' || !REPOSITORY_PATTERN.test(value.repository)) {
    problems.push(`${at}.repository: ${describe(value.repository)} is not a GitHub repository; use "owner/name"`);
  }
  if (value.branch !== undefined && (typeof value.branch !== 'string' || !BRANCH_PATTERN.test(value.branch))) {
    problems.push(`${at}.branch: ${describe(value.branch)} is not allowed; give a branch name such as "main" (letters, digits and ._/+-, * as a wildcard)`);
  }
  if (value.environment !== undefined && (typeof value.environment !== 'string' || !GITHUB_ENVIRONMENT_PATTERN.test(value.environment))) {
    problems.push(`${at}.environment: ${describe(value.environment)} is not allowed; give a GitHub environment name such as "prod" (letters, digits and ._-)`);
  }
  if (value.branch !== undefined && value.environment !== undefined) {
    problems.push(`${at}: give branch or environment, not both; a job that uses an environment gets a token whose subject names the environment, not the branch`);
  }
  if (value.providerArn !== undefined && (typeof value.providerArn !== 'string' || !GITHUB_PROVIDER_ARN_PATTERN.test(value.providerArn))) {
    problems.push(`${at}.providerArn: ${describe(value.providerArn)} is not the ARN of an IAM OIDC provider for token.actions.githubusercontent.com; use "arn:aws:iam::<12-digit account id>:oidc-provider/token.actions.githubusercontent.com", or leave it out to have the stack create the provider`);
  }
}

/**
 * The roles of one stack that trust GitHub share one OIDC provider: IAM allows one provider per
 * URL per account ("EntityAlreadyExists: Provider with url https://token.actions.githubusercontent.com
 * already exists", unfunco/terraform-aws-oidc-github#23), so the stack either creates it or
 * references one by ARN, for all of its roles alike.
 */
function githubProviderProblems(invokers: Readonly<Record<string, InvokerSettings>>, at: string): string[] {
  const problems: string[] = [];
  let first: { readonly name: string; readonly arn: string | undefined } | undefined;
  for (const [name, settings] of Object.entries(invokers)) {
    if (!isRoleInvoker(settings) || !isObject(settings.assumableBy) || !isObject(settings.assumableBy.githubOidc)) continue;
    const arn = settings.assumableBy.githubOidc.providerArn;
    if (arn !== undefined && typeof arn !== 'string') continue; // reported where written
    if (first === undefined) {
      first = { name, arn };
    } else if (first.arn !== arn) {
      const says = (a: string | undefined) => (a === undefined ? 'creates the provider (no providerArn)' : `references ${JSON.stringify(a)}`);
      problems.push(
        `${at}.${name}.assumableBy.githubOidc.providerArn: ${describe(arn)} differs from role invoker "${first.name}", which ${says(first.arn)}; ` +
          'the roles of one stack share one GitHub OIDC provider (IAM allows one per URL per account): give them all the same providerArn, or none',
      );
    }
  }
  return problems;
}

/**
 * The names the stack will send to IAM, checked after composition (project-environment-invoker
 * can exceed IAM's 64 characters even when each part is within its own limit).
 */
function generatedNameProblems(
  project: string,
  environment: string,
  invokers: Readonly<Record<string, InvokerSettings>>,
  at: string,
  shared: boolean,
): string[] {
  const problems: string[] = [];
  const prefix = resourcePrefix(project, environment);
  const pathProblem = iamPathProblem(iamPath(project));
  if (pathProblem) problems.push(`name: ${pathProblem}`);
  const handler = iamNameProblem('role', handlerName(prefix));
  if (handler) problems.push(`environments.${environment}: ${handler}, the handler's role; shorten the project name or the environment name`);
  const where = shared ? ` in environment "${environment}"` : '';
  for (const [invoker, settings] of Object.entries(invokers)) {
    const problem = iamNameProblem(isRoleInvoker(settings) ? 'role' : 'user', invokerIamName(prefix, invoker));
    if (problem) {
      problems.push(`${at}.${invoker}: ${problem}${where}; shorten the project name ("${project}"), the environment name ("${environment}") or the invoker name ("${invoker}")`);
    }
  }
  return problems;
}

/** The invokers a role names in `assumableBy.invokers` must be user invokers of the environment. */
function assumableInvokerProblems(invokers: Readonly<Record<string, InvokerSettings>>, at: string): string[] {
  const problems: string[] = [];
  for (const [name, settings] of Object.entries(invokers)) {
    if (!isRoleInvoker(settings) || !isObject(settings.assumableBy) || !Array.isArray(settings.assumableBy.invokers)) continue;
    settings.assumableBy.invokers.forEach((other, i) => {
      if (other === name) return; // reported where written
      const where = `${at}.${name}.assumableBy.invokers[${i}]`;
      const target = invokers[other];
      if (target === undefined) {
        problems.push(`${where}: "${other}" is not an invoker here; the invokers are ${Object.keys(invokers).map((n) => JSON.stringify(n)).join(', ')}`);
      } else if (isRoleInvoker(target)) {
        problems.push(`${where}: "${other}" is a role invoker; only user invokers may be named here`);
      }
    });
  }
  return problems;
}

/** Splits `"GET /items"` into method and path; undefined when it is not of that shape. */
export function parseMethodAndPath(text: string): MethodAndPath | undefined {
  const match = /^(\S+) (\/\S*)$/.exec(text);
  return match ? { method: match[1], path: match[2] } : undefined;
}

function isHttpMethod(method: string): boolean {
  return (HTTP_METHODS as readonly string[]).includes(method);
}

function isRoutePath(path: string): boolean {
  return routePathProblem(path) === undefined;
}

function checkOneOf<T extends string | number>(value: unknown, at: string, allowed: readonly T[], problems: Problems): T | undefined {
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  problems.push(`${at}: ${describe(value)} is not allowed; use one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  return undefined;
}

function checkInteger(value: unknown, at: string, min: number, max: number, problems: Problems, why = ''): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  problems.push(`${at}: ${describe(value)} is not allowed; use a whole number from ${min} to ${max}${why}`);
  return undefined;
}

function checkKeys(value: Obj, at: string, allowed: readonly string[], problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      problems.push(`${at}${key}: unknown setting; allowed here: ${allowed.join(', ')}`);
    }
  }
}

function merge<T extends object>(base: T, over: object): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isObject(current) && isObject(value) && key !== 'invokers'
      ? merge(current as object, value)
      : value;
  }
  return out as T;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}
