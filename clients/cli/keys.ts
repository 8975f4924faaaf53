/**
 * `iam-http-api keys [INVOKER]`: the invokers' access key ids and where each secret is. The
 * keys are the local gateway's (its credentials file), or with --stack NAME, when no local
 * gateway serves that stack, the deployed stack's Terraform outputs.
 *
 * A secret is printed only when asked by name: --show-secret prints it alone on a line;
 * --env prints `export` lines (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, and for a deployed
 * stack AWS_REGION and API_URL) for `eval "$(iam-http-api keys viewer --env)"`.
 *
 * The running local gateway's roles (gateway.json's roles[]) are listed after the keys: name,
 * ARN and the invokers that may assume each, for `call --role-arn ARN`. A role has no keys:
 * `keys --role NAME --env` assumes it at the local STS as the first invoker allowed and prints
 * export lines of that new session (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), for clients that take credentials from the environment (curl, Go).
 */
import * as fs from 'node:fs';
import { parseIni } from '../../src/gateway/credentials';
import type { KeysCommand } from './args';
import type { Context } from './call';
import { CliError, EXIT } from './errors';
import type { RunningGateway } from '../../src/gateway/running-gateway';
import { assumeRole, defaultSessionName } from './assume-role';
import { localKeysFile, runningGateway } from './local';
import { outputString, readStackOutputs } from './outputs';

interface InvokerKeys {
  readonly accessKeyId: string;
  /** Undefined when not readable here (encrypted with a pgpKey). */
  readonly secret?: string;
  /** Where the secret is, in words. */
  readonly secretAt: string;
}

interface KeySource {
  /** One line saying whose keys these are and where they came from. */
  readonly title: string;
  readonly secretsAt: string;
  readonly invokers: ReadonlyMap<string, InvokerKeys>;
  /** Extra export lines for --env (region, URL). */
  readonly exports: ReadonlyArray<readonly [string, string]>;
  /** A deployed stack's role invokers (outputs invoker_<name>_role_arn). */
  readonly roles?: ReadonlyArray<{ readonly name: string; readonly arn: string }>;
}

function localKeys(file: string): KeySource {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`No local invoker keys: ${file} does not exist. Run \`npm start\` once to create them, or pass --stack NAME for a deployed stack's keys.`);
  }
  const invokers = new Map<string, InvokerKeys>();
  for (const [name, values] of parseIni(text)) {
    if (values.aws_access_key_id) invokers.set(name, { accessKeyId: values.aws_access_key_id, secret: values.aws_secret_access_key, secretAt: `in ${file}, profile [${name}]` });
  }
  return { title: `Invoker keys of the local gateway (${file}):`, secretsAt: 'The secrets are in that file.', invokers, exports: [] };
}

async function deployedKeys(context: Context, stack: string): Promise<KeySource> {
  const outputs = await readStackOutputs(context.root, context.env, stack);
  const invokers = new Map<string, InvokerKeys>();
  for (const name of outputs.values.keys()) {
    const invoker = /^invoker_(.+)_access_key_id$/.exec(name)?.[1];
    const accessKeyId = invoker && outputString(outputs, name);
    if (!invoker || !accessKeyId) continue;
    const plain = `invoker_${invoker}_secret_access_key`;
    const encrypted = `invoker_${invoker}_encrypted_secret`;
    invokers.set(invoker, outputs.values.has(plain) || !outputs.values.has(encrypted)
      ? { accessKeyId, secret: outputString(outputs, plain), secretAt: `the sensitive Terraform output ${plain} of stack ${stack}, in its state` }
      : { accessKeyId, secretAt: `the Terraform output ${encrypted} of stack ${stack}, encrypted with the invoker's pgpKey (terraform -chdir=${outputs.dir} output -raw ${encrypted} | base64 -d | gpg -d)` });
  }
  const roles: Array<{ name: string; arn: string }> = [];
  for (const name of outputs.values.keys()) {
    const role = /^invoker_(.+)_role_arn$/.exec(name)?.[1];
    const arn = role && outputString(outputs, name);
    if (role && arn) roles.push({ name: role, arn });
  }
  const exports: Array<[string, string]> = [];
  const region = outputString(outputs, 'region');
  const apiUrl = outputString(outputs, 'api_url');
  if (region) exports.push(['AWS_REGION', region]);
  if (apiUrl) exports.push(['API_URL', apiUrl]);
  return {
    title: `Invoker keys of the deployed stack ${stack} (terraform output in ${outputs.dir}):`,
    secretsAt: 'The secrets are sensitive Terraform outputs, in the stack\'s state.',
    invokers,
    exports,
    roles,
  };
}

/** The running local gateway's roles and who may assume each; none for a deployed stack. */
function roleLines(gateway: RunningGateway | undefined): string[] {
  const roles = gateway?.roles ?? [];
  if (roles.length === 0) return [];
  const width = Math.max(...roles.map((role) => role.name.length)) + 2;
  return [
    `Roles of the local gateway (${gateway?.stsUrl ? `its STS: ${gateway.stsUrl}` : 'its STS is not running'}):`,
    ...roles.map((role) => `  ${role.name.padEnd(width)}${role.arn}  ${role.assumableBy.length ? `assumable by ${role.assumableBy.join(', ')}` : 'assumable by no invoker'}`),
    'Call as one: iam-http-api call PATH --profile INVOKER --role-arn ARN; a session for a shell: eval "$(iam-http-api keys --role NAME --env)"',
  ];
}

/** `keys --role NAME [--env]`: a role of the running local gateway (its full name, or the invoker name it ends with, or its ARN). */
async function roleKeys(command: KeysCommand & { role: string }, context: Context, gateway: RunningGateway | undefined): Promise<number> {
  const roles = gateway?.roles ?? [];
  if (!gateway) throw new CliError('No local gateway is running: start it with `npm start` (its banner lists the roles).');
  const role = roles.find((r) => r.name === command.role || r.arn === command.role || r.name.endsWith(`-${command.role}`));
  if (!role) throw new CliError(`No role "${command.role}" in the local gateway's stack ${gateway.stack}; it has ${roles.length ? roles.map((r) => r.name).join(', ') : 'none'}.`);
  const who = role.assumableBy.length ? `assumable by ${role.assumableBy.join(', ')}` : 'assumable by no invoker';
  if (!command.env) {
    context.out.stdout(`${role.name}  ${role.arn}  ${who}\nNo keys of its own: iam-http-api keys --role ${command.role} --env prints export lines of a new session; call --role-arn ARN assumes it for one call.\n`);
    return EXIT.ok;
  }
  const invoker = role.assumableBy[0];
  if (!invoker) throw new CliError(`No invoker of the local gateway may assume ${role.name}, so there is no session to export.`);
  if (!gateway.stsUrl) throw new CliError(`The local STS is not running (npm start says why in its output), so ${role.name} cannot be assumed.`);
  const file = localKeysFile(context.root, context.env, gateway);
  const keys = localKeys(file).invokers.get(invoker);
  if (!keys?.secret) throw new CliError(`No keys for ${invoker} in ${file}, who would assume ${role.name}.`);
  const session = await assumeRole(
    { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secret, source: `profile ${invoker} from ${file}` },
    { roleArn: role.arn, sessionName: defaultSessionName() },
    { url: gateway.stsUrl, from: `the running local gateway's STS, stack ${gateway.stack}` },
    gateway.region,
  );
  context.out.stdout([
    `# ${role.name} assumed by ${invoker}${session.expiration ? `, expires ${session.expiration.toISOString()}` : ''}`,
    `export AWS_ACCESS_KEY_ID=${shellQuote(session.accessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${shellQuote(session.secretAccessKey)}`,
    `export AWS_SESSION_TOKEN=${shellQuote(session.sessionToken ?? '')}`,
  ].join('\n') + '\n');
  return EXIT.ok;
}

/** A deployed stack's roles: assumed at AWS's STS with call --role-arn. */
function deployedRoleLines(source: KeySource, stack: string): string[] {
  const roles = source.roles ?? [];
  if (roles.length === 0) return [];
  const width = Math.max(...roles.map((role) => role.name.length)) + 2;
  return [
    `Roles of the deployed stack ${stack} (outputs invoker_<name>_role_arn; no keys, assume one at AWS's STS):`,
    ...roles.map((role) => `  ${role.name.padEnd(width)}${role.arn}`),
    `Call as one: iam-http-api call PATH --stack ${stack} --profile PROFILE --role-arn ARN (PROFILE: credentials allowed to assume it)`,
  ];
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export async function keys(command: KeysCommand, context: Context): Promise<number> {
  const { env, out } = context;
  const gateway = runningGateway(context.root, env);
  if (command.role !== undefined) return roleKeys({ ...command, role: command.role }, context, gateway);
  const deployed = command.stack !== undefined && gateway?.stack !== command.stack;
  const source = deployed ? await deployedKeys(context, command.stack!) : localKeys(localKeysFile(context.root, env, gateway));
  const stackFlag = deployed ? ` --stack ${command.stack}` : '';
  const names = [...source.invokers.keys()];
  const width = Math.max(...names.map((name) => name.length), 6) + 2;

  if (command.invoker === undefined) {
    if (names.length === 0 && !source.roles?.length) throw new CliError(`${source.title} none found. Run \`npm start\` once to create the local ones, or deploy the stack.`);
    out.stdout([
      source.title,
      ...names.map((name) => `  ${name.padEnd(width)}${source.invokers.get(name)!.accessKeyId}`),
      `${source.secretsAt} iam-http-api keys INVOKER${stackFlag} --show-secret prints one; --env prints export lines for a shell.`,
      ...(deployed ? deployedRoleLines(source, command.stack!) : roleLines(gateway)),
    ].join('\n') + '\n');
    return EXIT.ok;
  }

  const invoker = source.invokers.get(command.invoker);
  if (!invoker) throw new CliError(`No invoker "${command.invoker}". ${source.title} ${names.length ? names.join(', ') : 'none'}.`);
  if (command.showSecret || command.env) {
    if (!invoker.secret) throw new CliError(`The secret of ${command.invoker} is not readable here: it is ${invoker.secretAt}.`);
    out.stdout(command.showSecret
      ? `${invoker.secret}\n`
      : [
        `export AWS_ACCESS_KEY_ID=${shellQuote(invoker.accessKeyId)}`,
        `export AWS_SECRET_ACCESS_KEY=${shellQuote(invoker.secret)}`,
        'unset AWS_SESSION_TOKEN',
        ...source.exports.map(([name, value]) => `export ${name}=${shellQuote(value)}`),
      ].join('\n') + '\n');
    return EXIT.ok;
  }
  out.stdout([
    `${command.invoker.padEnd(width)}${invoker.accessKeyId}`,
    `${'secret'.padEnd(width)}${invoker.secretAt}${invoker.secret ? `; iam-http-api keys ${command.invoker}${stackFlag} --show-secret prints it` : ''}`,
  ].join('\n') + '\n');
  return EXIT.ok;
}
