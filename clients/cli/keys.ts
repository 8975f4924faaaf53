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
 * ARN and the invokers that may assume each, for `call --role-arn ARN`. A role has no keys.
 */
import * as fs from 'node:fs';
import { parseIni } from '../../src/gateway/credentials';
import type { KeysCommand } from './args';
import type { Context } from './call';
import { CliError, EXIT } from './errors';
import { localKeysFile, runningGateway } from './local';
import type { RunningGateway } from '../../src/gateway/running-gateway';
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
    'Call as one: iam-http-api call PATH --profile INVOKER --role-arn ARN',
  ];
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export async function keys(command: KeysCommand, context: Context): Promise<number> {
  const { env, out } = context;
  const gateway = runningGateway(context.root, env);
  const deployed = command.stack !== undefined && gateway?.stack !== command.stack;
  const source = deployed ? await deployedKeys(context, command.stack!) : localKeys(localKeysFile(context.root, env, gateway));
  const stackFlag = deployed ? ` --stack ${command.stack}` : '';
  const names = [...source.invokers.keys()];
  const width = Math.max(...names.map((name) => name.length), 6) + 2;

  if (command.invoker === undefined) {
    if (names.length === 0) throw new CliError(`${source.title} none found. Run \`npm start\` once to create the local ones, or deploy the stack.`);
    out.stdout([
      source.title,
      ...names.map((name) => `  ${name.padEnd(width)}${source.invokers.get(name)!.accessKeyId}`),
      `${source.secretsAt} iam-http-api keys INVOKER${stackFlag} --show-secret prints one; --env prints export lines for a shell.`,
      ...(deployed ? [] : roleLines(gateway)),
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
