/**
 * The shapes of the project's configuration: what a user writes in
 * `iam-http-api.config.ts` (`ProjectConfigInput`) and what the stack receives after
 * defaults are filled in and every field is validated (`StackConfig`, one per environment).
 */

/** HTTP methods an API Gateway route or an invoker rule may name. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A route key as API Gateway writes it: `GET /items/{id}`, `ANY /{proxy+}`. */
export type RouteKey = `${HttpMethod | 'ANY'} /${string}`;

/**
 * What an invoker may call: `METHOD /path-pattern`, where METHOD may be `*` (any method)
 * and the path may end in or contain `*` (IAM's wildcard), e.g. `GET /*`, `* /*`, `POST /items/*`.
 */
export type InvokeRule = `${HttpMethod | '*'} /${string}`;

/** Lambda runtimes the stack may use: nodejs20.x is past AWS's deprecation date (2026-04-30) but kept for existing accounts. */
export const LAMBDA_RUNTIMES = ['nodejs22.x', 'nodejs20.x'] as const;
export type LambdaRuntime = (typeof LAMBDA_RUNTIMES)[number];

export const LAMBDA_ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type LambdaArchitecture = (typeof LAMBDA_ARCHITECTURES)[number];

/** The retention periods CloudWatch Logs accepts (0 = never expire). */
export const LOG_RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
  3288, 3653,
] as const;
export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number];

export interface LambdaSettings {
  readonly runtime: LambdaRuntime;
  readonly memoryMb: number;
  /** Seconds; at most 30, the longest an HTTP API waits for its integration. */
  readonly timeoutSeconds: number;
  readonly architecture: LambdaArchitecture;
  readonly logRetentionDays: LogRetentionDays;
  /**
   * The function's own environment variables (`aws_lambda_function` `environment { variables }`),
   * e.g. `{ TABLE_NAME: "items", NODE_OPTIONS: "--enable-source-maps" }`. Names as Lambda
   * accepts them, never one of the variables Lambda sets itself (LAMBDA_RESERVED_ENV).
   */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Variables Lambda sets and refuses in a function's configuration ("Lambda was unable to configure
 * your environment variables because the environment variables you have provided contains reserved
 * keys that are currently not supported for modification. Reserved keys used in this request: ...").
 * AWS docs, "Defined runtime environment variables" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
 * "_HANDLER, _X_AMZN_TRACE_ID, AWS_DEFAULT_REGION, AWS_REGION, AWS_EXECUTION_ENV,
 * AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION,
 * AWS_LAMBDA_INITIALIZATION_TYPE, AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME,
 * AWS_ACCESS_KEY, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 * AWS_LAMBDA_RUNTIME_API, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR" (AWS_DEFAULT_REGION refused live:
 * zuka-e/laravel-react-task-spa#146). Older versions of that page also list AWS_SECRET_KEY and
 * AWS_SECURITY_TOKEN (awsdocs/aws-lambda-developer-guide@7f301f1) and TZ as reserved; the newer
 * ones list TZ as unreserved. Where the versions disagree the stricter one is kept: all are refused.
 */
export const LAMBDA_RESERVED_ENV = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_KEY', 'AWS_SECURITY_TOKEN',
  'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ',
] as const;

/** Lambda's quota: "the total size of all environment variables doesn't exceed 4 KB" (AWS docs, as above). */
export const LAMBDA_ENV_MAX_BYTES = 4096;

export interface CorsSettings {
  /** Origins allowed to call the API from a browser: `scheme://host[:port]`, or `*`. */
  readonly allowOrigins: readonly string[];
}

export interface ThrottlingSettings {
  /** Requests per second, steady state, for every route of the stage. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the rate. */
  readonly burstLimit: number;
}

/** An invoker that is an IAM user with an access key (the default kind). */
export interface UserInvokerSettings {
  /** `'user'` (the default when left out): an IAM user with an access key. */
  readonly kind?: 'user';
  /** What the invoker may call; each rule becomes exact execute-api ARNs. */
  readonly allow: readonly InvokeRule[];
  /**
   * A base64 PGP public key or `keybase:<user>`: when set, Terraform stores and outputs the
   * secret access key encrypted with it instead of in plain text.
   */
  readonly pgpKey?: string;
}

/** An AWS account trusted to assume a role invoker (its administrators delegate it further). */
export interface TrustedAccount {
  /** The 12-digit account id; the trust policy names `arn:aws:iam::<id>:root`. */
  readonly id: string;
  /**
   * Required of callers from that account as `sts:ExternalId` (the confused-deputy guard for
   * third parties): 2 to 1224 characters of letters, digits and `_+=,.@:/-` (AssumeRole's rule).
   */
  readonly externalId?: string;
}

/** GitHub Actions workflows trusted to assume a role invoker through GitHub's OIDC tokens. */
export interface GithubOidcTrust {
  /** `owner/name` of the repository whose workflows may assume the role. */
  readonly repository: string;
  /** Only workflows running on this branch (`main`; `*` may be used as a wildcard). */
  readonly branch?: string;
  /** Only jobs that run in this GitHub deployment environment (`prod`). Not with `branch`. */
  readonly environment?: string;
  /**
   * An existing IAM OIDC provider for GitHub to use instead of creating one:
   * `arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`. IAM allows one
   * provider per URL per account, so a second stack in an account that already has it (from
   * another stack, or made by hand) must reference it. Every role of a stack that trusts GitHub
   * gives the same value, or none (then the stack creates the provider once for all of them).
   */
  readonly providerArn?: string;
}

/** Who may assume a role invoker; at least one of the four. */
export interface AssumableBy {
  /** User invokers of the same environment (their ARNs are named in the trust policy). */
  readonly invokers?: readonly string[];
  /** Other AWS accounts, each optionally with an external id. */
  readonly accounts?: readonly TrustedAccount[];
  /** AWS service principals such as `lambda.amazonaws.com`. */
  readonly services?: readonly string[];
  /** GitHub Actions, through the stack's `token.actions.githubusercontent.com` OIDC provider (created, or referenced by `providerArn`). */
  readonly githubOidc?: GithubOidcTrust;
}

/** An invoker that is an IAM role: no long-lived key, callers assume it for temporary credentials. */
export interface RoleInvokerSettings {
  readonly kind: 'role';
  /** What the role's sessions may call; each rule becomes exact execute-api ARNs. */
  readonly allow: readonly InvokeRule[];
  /** Who may assume the role (its trust policy). */
  readonly assumableBy: AssumableBy;
  /** Longest session the role grants, 3600 (the default) to 43200 seconds. */
  readonly maxSessionDurationSeconds?: number;
}

/** An invoker: an IAM user (`kind` left out or `'user'`) or an IAM role (`kind: 'role'`). */
export type InvokerSettings = UserInvokerSettings | RoleInvokerSettings;

/** A role invoker's session length when `maxSessionDurationSeconds` is left out (IAM's default). */
export const DEFAULT_MAX_SESSION_SECONDS = 3600;

/** The GitHub Actions OIDC issuer, and the audience AWS's official action requests. */
export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

export function isRoleInvoker(settings: InvokerSettings): settings is RoleInvokerSettings {
  return settings.kind === 'role';
}

/** Everything that may differ between environments. */
export interface EnvironmentSettings {
  readonly region: string;
  readonly lambda: LambdaSettings;
  readonly cors: CorsSettings;
  readonly throttling: ThrottlingSettings;
  /** Routes besides `$default`, all with AWS_IAM authorization. */
  readonly routes: readonly RouteKey[];
  readonly invokers: Readonly<Record<string, InvokerSettings>>;
  /** Days to keep the stage's access logs. */
  readonly accessLogRetentionDays: LogRetentionDays;
}

type DeepPartial<T> = {
  readonly [K in keyof T]?: T[K] extends readonly unknown[]
    ? T[K]
    : T[K] extends object
      ? DeepPartial<T[K]>
      : T[K];
};

/** What a user writes: every setting is optional, environments override the shared ones. */
export interface ProjectConfigInput extends DeepPartial<Omit<EnvironmentSettings, 'invokers'>> {
  /** Name of the project; prefixes every AWS resource name. Lower-case letters, digits, dashes. */
  readonly name?: string;
  /** Invokers replace the defaults as a whole when given. */
  readonly invokers?: Readonly<Record<string, InvokerSettings>>;
  /** One stack, with its own state, per environment. Default: `dev` and `prod`. */
  readonly environments?: Readonly<
    Record<
      string,
      DeepPartial<Omit<EnvironmentSettings, 'invokers'>> & {
        readonly invokers?: Readonly<Record<string, InvokerSettings>>;
      }
    >
  >;
}

/** The validated, complete configuration of one stack (one environment). */
export interface StackConfig extends EnvironmentSettings {
  readonly name: string;
  readonly environment: string;
}

/** A parsed `METHOD /path` rule or route key. */
export interface MethodAndPath {
  readonly method: string;
  readonly path: string;
}
