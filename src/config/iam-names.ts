/**
 * The names the stack gives its IAM users and roles, composed here once so the stack builds
 * them and the validator checks exactly what will be sent to IAM: a project name, an
 * environment and an invoker name are each valid on their own, yet together can be longer
 * than IAM accepts, which `terraform apply` would only report halfway through a deploy.
 *
 * IAM's rules, from the IAM API Reference (and botocore's iam service model, the same shapes):
 * CreateUser UserName and CreateRole RoleName "Length Constraints: Minimum length of 1.
 * Maximum length of 64. Pattern: [\w+=,.@-]+"; Path "Minimum length of 1. Maximum length of
 * 512. Pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html).
 */

/** `iam-http-api-dev`: the prefix of every resource name of one environment's stack. */
export function resourcePrefix(project: string, environment: string): string {
  return `${project}-${environment}`;
}

/** The IAM user or role name of invoker `invoker`: `iam-http-api-dev-viewer`. */
export function invokerIamName(prefix: string, invoker: string): string {
  return `${prefix}-${invoker}`;
}

/** The Lambda function's name, also its execution role's name: `iam-http-api-dev-handler`. */
export function handlerName(prefix: string): string {
  return `${prefix}-handler`;
}

/** The IAM path the invokers' users and roles are created under: `/iam-http-api/`. */
export function iamPath(project: string): string {
  return `/${project}/`;
}

export const IAM_NAME_MAX_LENGTH = 64;
const IAM_NAME_PATTERN = /^[\w+=,.@-]+$/;
export const IAM_PATH_MAX_LENGTH = 512;
const IAM_PATH_PATTERN = /^(\/|\/[\u0021-\u007E]+\/)$/;

/** What is wrong with `name` as an IAM user or role name, or undefined. */
export function iamNameProblem(kind: 'user' | 'role', name: string): string | undefined {
  const api = kind === 'user' ? 'CreateUser UserName' : 'CreateRole RoleName';
  if (name.length > IAM_NAME_MAX_LENGTH) {
    return `the IAM ${kind} name "${name}" is ${name.length} characters; IAM allows at most ${IAM_NAME_MAX_LENGTH} (${api})`;
  }
  if (!IAM_NAME_PATTERN.test(name)) {
    return `the IAM ${kind} name "${name}" has characters IAM refuses; it takes letters, digits and _+=,.@- (${api})`;
  }
  return undefined;
}

/** What is wrong with `path` as an IAM path, or undefined. */
export function iamPathProblem(path: string): string | undefined {
  if (path.length > IAM_PATH_MAX_LENGTH) return `the IAM path "${path}" is ${path.length} characters; IAM allows at most ${IAM_PATH_MAX_LENGTH}`;
  if (!IAM_PATH_PATTERN.test(path)) return `the IAM path "${path}" is not allowed; IAM takes "/" or "/" + printable ASCII without spaces + "/"`;
  return undefined;
}
