/**
 * The HCL escape hatch, proven by the real terraform (1.11) and hashicorp/aws 5.100.0, offline.
 *
 * 1. `cdktf synth --hcl` (cdktf 0.21.0, the last release) exits 0 but writes HCL terraform
 *    rejects: strings holding an interpolation and quotes (every IAM policy naming a resource)
 *    come out unescaped (hashicorp/terraform-cdk#3911). The test shows that, on the real output.
 * 2. `npm run export:hcl` (src/commands/export-hcl.ts) runs that export and repairs exactly those
 *    strings from the JSON synthesis. Its output, per stack, is self-contained, has the expected
 *    blocks (the same addresses as the JSON), is in `terraform fmt` style, and
 *    `terraform validate` accepts it with no diagnostic at all.
 * 3. The dev stack applied from its JSON (against moto_server), then planned from the HCL with
 *    that state: no changes. A team can switch from cdk.tf.json to cdk.tf keeping its state.
 *
 * The one substitution, in throw-away copies: the archive provider is not in this machine's
 * provider mirror, so `data "archive_file"` is replaced by literals from a zip built from the
 * same assets (replaceArchiveFileInHcl), as apply-against-moto does for the JSON.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportHcl } from '../../src/commands/export-hcl';
import { blockEnd, findBlock, findBlocks } from '../../src/hcl/hcl-blocks';
import { HclExportError } from '../../src/hcl/hcl-export-error';
import { cdktfMisrenders, hclQuote, templateParts } from '../../src/hcl/hcl-strings';
import { repairCdktfHcl } from '../../src/hcl/repair-cdktf-hcl';
import {
  awsProvidersFromHcl,
  blockAttributes,
  formatDiagnostic,
  HCL_STACK_FILE,
  HclShapeError,
  parseValidate,
  prepareOfflineHcl,
  replaceArchiveFileInHcl,
  selfContainmentProblems,
  topLevelAddresses,
  type ZipBuilder,
} from '../support/hcl-offline';
import { startMotoServer, type MotoServer } from '../support/moto-server';
import { describeWithOfflineTools } from '../support/offline-tools';
import { runApp } from '../support/synth';
import {
  describeFailure,
  planDetailed,
  prepareOfflineTerraform,
  readStackJson,
  type JsonObject,
  type OfflineTerraform,
  type PrebuiltArchive,
  destroyAndCleanUp,
} from '../support/terraform-offline';

const root = path.resolve(__dirname, '..', '..');
const STEP_TIMEOUT = 5 * 60 * 1000;
const ENVIRONMENTS = ['dev', 'prod'] as const;
/** The invokers iam-http-api.config.ts gives each environment (prod has no editor). */
const INVOKERS: Record<(typeof ENVIRONMENTS)[number], string[]> = { dev: ['admin', 'editor', 'viewer'], prod: ['admin', 'viewer'] };
/** The user policies allowing sts:AssumeRole on a role invoker (dev's admin may assume deployer). */
const ASSUME_POLICIES: Record<(typeof ENVIRONMENTS)[number], string[]> = { dev: ['invoker_admin_assume_deployer'], prod: [] };
/** Nothing listens here: validate never calls the provider. */
const UNUSED_ENDPOINT = 'http://127.0.0.1:9';

// ---------------------------------------------------------------------------
// unit: the text handling, on small snippets shaped as cdktf writes them

describe('export:hcl text handling (src/commands/export-hcl.ts)', () => {
  const policy = '{"Version":"2012-10-17","Statement":[{"Resource":"${aws_cloudwatch_log_group.logs.arn}:*"}]}';
  // What cdktf 0.21.0 writes for it: quotes unescaped, then its formatter spaces the tokens out.
  const mangled = '"{" Version ":" 2012 - 10 - 17 "," Statement ":[{" Resource ":" $ { aws_cloudwatch_log_group.logs.arn } : * "}]}"';
  const snippet = [
    'resource "aws_iam_role_policy" "write_logs" {',
    '  name   = "write-own-logs"',
    `  policy = ${mangled}`,
    '  role   = "${aws_iam_role.handler.id}"',
    '}',
    'resource "aws_lambda_function" "handler" {',
    '  function_name = "fn"',
    '  depends_on = [',
    '    "aws_cloudwatch_log_group.logs",',
    '    "data.archive_file.handler",',
    '  ]',
    '}',
  ].join('\n');
  const stack = (value = policy): JsonObject => ({
    resource: {
      aws_iam_role_policy: { write_logs: { name: 'write-own-logs', policy: value, role: '${aws_iam_role.handler.id}' } },
      aws_lambda_function: { handler: { function_name: 'fn', depends_on: ['aws_cloudwatch_log_group.logs', 'data.archive_file.handler'] } },
    },
  });

  it('quotes a JSON template for HCL: literal quotes and backslashes escaped, ${...} kept verbatim', () => {
    expect(hclQuote(policy)).toBe('"{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Resource\\":\\"${aws_cloudwatch_log_group.logs.arn}:*\\"}]}"');
    expect(hclQuote('a\\b "c" ${lookup(var.m, "k")} $${not} %%{nor} $default')).toBe('"a\\\\b \\"c\\" ${lookup(var.m, "k")} $${not} %%{nor} $default"');
    expect(templateParts('x${f("}")}y')).toEqual([
      { literal: true, text: 'x' },
      { literal: false, text: '${f("}")}' },
      { literal: true, text: 'y' },
    ]);
    expect(() => templateParts('x${oops')).toThrow(HclExportError);
  });

  it('knows which strings cdktf misrenders', () => {
    expect(cdktfMisrenders(policy)).toBe(true);
    expect(cdktfMisrenders('{"Version":"2012-10-17"}')).toBe(false); // no interpolation: cdktf escapes it
    expect(cdktfMisrenders('${aws_iam_role.handler.arn}')).toBe(false);
    expect(cdktfMisrenders('${lookup(var.m, "k")}')).toBe(false); // quotes only inside the expression
    expect(cdktfMisrenders('C:\\temp')).toBe(true); // cdktf never escapes backslashes
  });

  it('rewrites the mangled line from the JSON value and unquotes depends_on', () => {
    const { hcl, repaired, unquotedDependsOn } = repairCdktfHcl(snippet, stack());
    expect(repaired).toEqual(['aws_iam_role_policy.write_logs.policy']);
    expect(unquotedDependsOn).toBe(2);
    expect(hcl).toBe(
      `${snippet
        .replace(
          `  policy = ${mangled}`,
          ['  policy = jsonencode({', '    Version = "2012-10-17"', '    Statement = [', '      {', '        Resource = "${aws_cloudwatch_log_group.logs.arn}:*"', '      },', '    ]', '  })'].join('\n'),
        )
        .replace('"aws_cloudwatch_log_group.logs",', 'aws_cloudwatch_log_group.logs,')
        .replace('"data.archive_file.handler",', 'data.archive_file.handler,')}\n`,
    );
  });

  it('finds attributes inside nested blocks', () => {
    const nested = ['resource "aws_x" "y" {', '  settings {', '    format = "{" a ":" $ { b.c } "}"', '  }', '}'].join('\n');
    const { hcl } = repairCdktfHcl(nested, { resource: { aws_x: { y: { settings: [{ format: '{"a":"${b.c}"}' }] } } } });
    expect(hcl.split('\n')[2]).toBe('    format = "{\\"a\\":\\"${b.c}\\"}"');
  });

  it('refuses, with the reason, whatever it is not sure of', () => {
    expect(() => repairCdktfHcl(snippet, stack(policy.replace('2012', '2008')))).toThrow(/not cdktf's rendering of the JSON value/);
    expect(() => repairCdktfHcl(snippet.replace('"write_logs"', '"other"'), stack())).toThrow(/block "resource "aws_iam_role_policy" "write_logs" \{" #1 is not in the HCL/);
    expect(() => repairCdktfHcl(snippet.replace(/\n\}\nresource/, '\nresource'), stack())).toThrow(/not closed at its indentation/);
    expect(() => repairCdktfHcl(snippet, { ...stack(), locals: { x: policy } })).toThrow(/does not handle "locals"/);
    expect(() => repairCdktfHcl(snippet.replace('"aws_cloudwatch_log_group.logs",', 'upper("x"),'), stack())).toThrow(/not a quoted reference/);
  });

  it('will not write into a folder holding JSON stacks (terraform would load cdk.tf.json and cdk.tf together)', () => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, '.build', 'export-hcl-refuse-'));
    try {
      fs.mkdirSync(path.join(dir, 'stacks', 'dev'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'stacks', 'dev', 'cdk.tf.json'), '{}');
      const said: string[] = [];
      expect(exportHcl(dir, (line) => said.push(line))).toBe(1);
      expect(said.join('\n')).toMatch(/holds JSON stacks \(dev\).*Use another --output/);
      expect(fs.readdirSync(path.join(dir, 'stacks', 'dev'))).toEqual(['cdk.tf.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a block by header and its closing brace at the same indentation, heredocs skipped', () => {
    const lines = ['a {', '  b {', '    x = <<EOF', '}', 'EOF', '  }', '}', 'a {', '}'];
    expect(blockEnd(lines, 1)).toBe(5);
    expect(findBlocks(lines, 'a {').map((s) => [s.start, s.end])).toEqual([[0, 6], [7, 8]]);
    expect(() => findBlock(lines, 'a {')).toThrow(/expected one block "a \{", found 2/);
    expect(() => blockEnd(['a {', '  b = 1'], 0)).toThrow(/no closing brace/);
  });
});

describe('archive_file replacement in HCL (__tests__/support/hcl-offline.ts)', () => {
  const cdktfStyle = [
    'terraform {',
    '  required_providers {',
    '    aws = {',
    '      version = "5.100.0"',
    '      source  = "aws"',
    '    }',
    '    archive = {',
    '      version = "2.7.1"',
    '      source  = "hashicorp/archive"',
    '    }',
    '  }',
    '}',
    '',
    'provider "aws" {',
    '  region = "eu-west-1"',
    '  default_tags {',
    '    tags = {',
    '      region = "not-this"',
    '    }',
    '  }',
    '}',
    '',
    'provider "archive" {',
    '}',
    'data "archive_file" "handler" {',
    '  excludes = [',
    '    "skip.txt",',
    '  ]',
    '  output_file_mode = "0644"',
    '  output_path      = "${path.module}/handler.zip"',
    '  source_dir       = "${path.module}/assets/bundle"',
    '  type             = "zip"',
    '}',
    'resource "aws_lambda_function" "handler" {',
    '  filename         = data.archive_file.handler.output_path',
    '  source_code_hash = "${data.archive_file.handler.output_base64sha256}"',
    '  description      = "zip ${data.archive_file.handler.output_md5}, ${aws_x.y.id}"',
    '  depends_on = [',
    '    data.archive_file.handler,',
    '    aws_cloudwatch_log_group.logs,',
    '  ]',
    '}',
  ].join('\n');
  const calls: Array<[string, string, readonly string[], string | undefined]> = [];
  const fakeZip: ZipBuilder = (source, outPath, excludes, fileMode) => {
    calls.push([source, outPath, excludes, fileMode]);
    const a: PrebuiltArchive = {
      output_path: outPath,
      output_size: 42,
      output_base64sha256: 'SHA256+/b64=',
      output_base64sha512: 'x',
      output_md5: 'md5hex',
      output_sha: 'sha1',
      output_sha256: 'y',
      output_sha512: 'z',
      id: 'sha1',
    };
    return a;
  };

  beforeEach(() => calls.splice(0));

  it('builds the zip from the block, inlines every reference shape and removes the archive provider', () => {
    const { hcl, archives } = replaceArchiveFileInHcl(cdktfStyle, '/stack', { buildZip: fakeZip });
    expect(calls).toEqual([['/stack/assets/bundle', '/stack/handler.zip', ['skip.txt'], '0644']]);
    expect(Object.keys(archives)).toEqual(['handler']);
    expect(hcl).not.toMatch(/archive/);
    expect(hcl).toContain('  filename         = "/stack/handler.zip"\n');
    expect(hcl).toContain('  source_code_hash = "SHA256+/b64="\n');
    expect(hcl).toContain('  description      = "zip md5hex, ${aws_x.y.id}"\n');
    expect(hcl).toContain('  depends_on = [\n    aws_cloudwatch_log_group.logs,\n  ]\n');
    expect(hcl).toContain('    aws = {\n      version = "5.100.0"\n      source  = "aws"\n    }\n  }\n}');
  });

  it('takes another output_path literal when asked', () => {
    const { hcl } = replaceArchiveFileInHcl(cdktfStyle, '/stack', { buildZip: fakeZip, outputPathLiteral: () => '/elsewhere/h.zip' });
    expect(hcl).toContain('  filename         = "/elsewhere/h.zip"\n');
  });

  it('reads the aws provider blocks (region, alias) for the override file', () => {
    expect(awsProvidersFromHcl(cdktfStyle)).toEqual({ provider: { aws: [{ region: 'eu-west-1' }] } });
    expect(awsProvidersFromHcl('provider "aws" {\n  alias  = "use1"\n  region = "us-east-1"\n}')).toEqual({ provider: { aws: [{ alias: 'use1', region: 'us-east-1' }] } });
  });

  it('throws on every shape it does not know, never passing silently', () => {
    const run = (text: string) => () => replaceArchiveFileInHcl(text, '/stack', { buildZip: fakeZip });
    expect(run(cdktfStyle.replace('  type             = "zip"', '  type = "zip"\n  source {\n    content = "x"\n  }'))).toThrow(/not a simple attribute/);
    expect(run(cdktfStyle.replace('output_md5}', 'output_bogus}'))).toThrow(/unsupported reference data.archive_file.handler.output_bogus/);
    expect(run(cdktfStyle.replace('"${data.archive_file.handler.output_base64sha256}"', '"${upper(data.archive_file.handler.id)}"'))).toThrow(/inside a string expression/);
    expect(run(cdktfStyle.replace('  type             = "zip"\n}', '  type             = "zip"'))).toThrow(/not closed at its indentation/);
    expect(run(cdktfStyle.replace('"${path.module}/assets/bundle"', '"${var.dir}/bundle"'))).toThrow(/cannot resolve path/);
    expect(run(cdktfStyle.replace('"zip"', '"tgz"'))).toThrow(/only type = "zip"/);
    expect(run(`${cdktfStyle}\nmodule "m" {\n  x = data.archive_file.other.id\n}`)).toThrow(/left after the archive replacement: data.archive_file.other/);
    expect(run(cdktfStyle.replace('data "archive_file" "handler" {', '  data "archive_file" "handler" {'))).toThrow(HclShapeError);
  });
});

// ---------------------------------------------------------------------------
// the real export, real terraform

interface Run {
  result: SpawnSyncReturns<string>;
  ms: number;
}

function timed(command: string, args: string[], env: Record<string, string>): Run {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 3 * 60 * 1000, env: { ...process.env, ...env } });
  return { result, ms: Date.now() - started };
}

function failure(run: Run): string {
  return `exit ${String(run.result.status)} (${run.result.error?.message ?? 'no spawn error'})\n--- stderr ---\n${run.result.stderr.slice(-3000)}\n--- stdout ---\n${run.result.stdout.slice(-3000)}`;
}

describeWithOfflineTools('npm run export:hcl: HCL that real terraform validates, and plans with no changes on the JSON stack\'s state', () => {
  const exportEnv = { CHECKPOINT_DISABLE: '1', TF_CLOUD_ORGANIZATION: '' };
  let scratch = '';
  let raw: Run;
  let exported: Run;
  const copies: OfflineTerraform[] = [];
  const timings: string[] = [];

  const rawDir = (env: string): string => path.join(scratch, 'raw', 'stacks', env);
  const hclDir = (env: string): string => path.join(scratch, 'hcl', 'stacks', env);
  const jsonDir = (env: string): string => path.join(scratch, 'json', 'stacks', env);
  const hclText = (env: string): string => fs.readFileSync(path.join(hclDir(env), HCL_STACK_FILE), 'utf8');

  beforeAll(() => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    scratch = fs.mkdtempSync(path.join(root, '.build', 'export-hcl-test-'));
    // As a user runs cdktf's own export (STACK set, to show that it is ignored) ...
    raw = timed('npx', ['cdktf', 'synth', '--hcl', '--output', path.join(scratch, 'raw')], { ...exportEnv, STACK: 'prod' });
    timings.push(`npx cdktf synth --hcl: ${raw.ms} ms`);
    // ... and as `npm run export:hcl` runs the repairing wrapper.
    exported = timed(process.execPath, ['--import', 'tsx', 'src/commands/export-hcl.ts', '--output', path.join(scratch, 'hcl')], exportEnv);
    timings.push(`export-hcl.ts: ${exported.ms} ms`);
    const started = Date.now();
    const json = runApp(path.join(scratch, 'json'));
    if (json.status !== 0) throw new Error(`JSON synth failed: ${json.stderr}`);
    timings.push(`JSON synth: ${Date.now() - started} ms`);
  }, STEP_TIMEOUT);

  afterAll(() => {
    for (const c of copies) c.cleanup();
    if (scratch !== '') fs.rmSync(scratch, { recursive: true, force: true });
    console.log(`export-hcl timings: ${timings.join('; ')}`);
  });

  it('cdktf synth --hcl exits 0 and writes every stack as cdk.tf, whatever STACK says', () => {
    expect({ status: raw.result.status, out: raw.result.status === 0 ? '' : failure(raw) }).toEqual({ status: 0, out: '' });
    for (const env of ENVIRONMENTS) {
      expect(fs.readdirSync(rawDir(env)).sort()).toEqual(['assets', 'cdk.tf', 'metadata.json']);
    }
  });

  it('…but terraform rejects what it wrote: every policy naming a resource is unescaped (hashicorp/terraform-cdk#3911)', async () => {
    const cli = prepareOfflineHcl({ stackDir: rawDir('dev'), endpoint: UNUSED_ENDPOINT });
    copies.push(cli);
    const result = parseValidate(await cli.run(['validate', '-json']));
    const lines = fs.readFileSync(path.join(cli.workDir, HCL_STACK_FILE), 'utf8').split('\n');
    const mangledPolicyLines = lines.flatMap((l, i) => (/^ {2}(?:assume_role_)?policy\s*=.*\$ \{/.test(l) ? [i + 1] : []));
    const errorLines = [...new Set(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.range?.start.line ?? -1))];
    expect(result.valid).toBe(false);
    expect(mangledPolicyLines).toHaveLength(7); // the logs policy, three users' and the deployer role's invoke policies, admin's sts:AssumeRole policy, the deployer's trust policy
    expect(errorLines.sort((a, b) => a - b)).toEqual(mangledPolicyLines);
  }, STEP_TIMEOUT);

  it('npm run export:hcl repairs exactly those strings and formats the files', () => {
    expect({ status: exported.result.status, out: exported.result.status === 0 ? '' : failure(exported) }).toEqual({ status: 0, out: '' });
    const report = exported.result.stdout;
    expect(report).toMatch(/stacks\/dev\/cdk\.tf: rewrote 8 attribute\(s\).*aws_iam_role\.handler\.assume_role_policy, aws_iam_role\.invoker_deployer\.assume_role_policy, aws_iam_role_policy\.handler_write_logs\.policy, aws_iam_role_policy\.invoker_deployer_invoke\.policy, aws_iam_user_policy\.invoker_admin_assume_deployer\.policy, aws_iam_user_policy\.invoker_admin_invoke\.policy, aws_iam_user_policy\.invoker_editor_invoke\.policy, aws_iam_user_policy\.invoker_viewer_invoke\.policy; unquoted 1 depends_on reference\(s\); formatted with terraform fmt/);
    expect(report).toMatch(/stacks\/prod\/cdk\.tf: rewrote 4 attribute\(s\).*aws_iam_role\.handler\.assume_role_policy, aws_iam_role_policy\.handler_write_logs\.policy, aws_iam_user_policy\.invoker_admin_invoke\.policy, aws_iam_user_policy\.invoker_viewer_invoke\.policy; unquoted 1 depends_on reference\(s\); formatted with terraform fmt/);
    for (const env of ENVIRONMENTS) expect(fs.existsSync(path.join(hclDir(env), 'cdk.tf.json'))).toBe(false);
  });

  describe.each(ENVIRONMENTS)('the %s stack as HCL', (env) => {
    it('is self-contained: assets inside, no machine path, only the backend path leaves the folder', () => {
      expect(selfContainmentProblems(hclDir(env), root, env)).toEqual([]);
      const lines = hclText(env).split('\n');
      const archive = blockAttributes(lines, findBlock(lines, 'data "archive_file" "handler" {'), 'archive');
      const source = String(archive.get('source_dir'));
      expect(source).toMatch(/^\$\{path\.module\}\/assets\//);
      const assetDir = path.join(hclDir(env), source.replace('${path.module}/', ''));
      expect(fs.readdirSync(assetDir)).toContain('index.mjs');
      const backend = /backend "local" \{\n\s+path = "([^"]+)"/.exec(hclText(env))?.[1];
      expect(backend).toMatch(new RegExp(`^(\\.\\./)+terraform\\.${env}\\.tfstate$`));
      expect(path.resolve(hclDir(env), String(backend))).toBe(path.join(root, `terraform.${env}.tfstate`));
    });

    it('holds the API, the archive, the invokers\' policies: the same blocks as the JSON', () => {
      const hcl = hclText(env);
      expect(hcl).toContain('resource "aws_apigatewayv2_api" "api" {');
      expect(hcl).toContain('data "archive_file" "handler" {');
      const invokerPolicies = topLevelAddresses(hcl).filter((a) => a.startsWith('resource.aws_iam_user_policy.'));
      expect(invokerPolicies.sort()).toEqual([...INVOKERS[env].map((n) => `invoker_${n}_invoke`), ...ASSUME_POLICIES[env]].map((n) => `resource.aws_iam_user_policy.${n}`).sort());
      // Policies as people write them in HCL: jsonencode, the ARN still an interpolation.
      expect(hcl).toContain(
        [
          'resource "aws_iam_user_policy" "invoker_admin_invoke" {',
          '  name = "invoke-api"',
          '  policy = jsonencode({',
          '    Version = "2012-10-17"',
          '    Statement = [',
          '      {',
          '        Sid    = "InvokeAllowedRoutes"',
          '        Effect = "Allow"',
          '        Action = "execute-api:Invoke"',
          '        Resource = [',
          '          "${aws_apigatewayv2_api.api.execution_arn}/$default/*/*",',
          '        ]',
          '      },',
          '    ]',
          '  })',
          '  user = aws_iam_user.invoker_admin.name',
          '}',
        ].join('\n'),
      );
      const json = readStackJson(jsonDir(env));
      const expected: string[] = ['terraform'];
      for (const kind of ['resource', 'data'] as const) {
        for (const [type, byName] of Object.entries(json[kind] as JsonObject)) {
          for (const name of Object.keys(byName as JsonObject)) expected.push(`${kind}.${type}.${name}`);
        }
      }
      for (const name of Object.keys(json.provider as JsonObject)) expected.push(`provider.${name}`);
      for (const name of Object.keys(json.output as JsonObject)) expected.push(`output.${name}`);
      expect(topLevelAddresses(hcl).sort()).toEqual(expected.sort());
    });

    it('is in terraform fmt style (a CI fmt -check passes on it as committed)', () => {
      const fmt = timed('terraform', ['fmt', '-check', '-diff', '-no-color', path.join(hclDir(env), HCL_STACK_FILE)], { CHECKPOINT_DISABLE: '1' });
      expect({ code: fmt.result.status, diff: fmt.result.stdout }).toEqual({ code: 0, diff: '' });
    });

    it('terraform init (offline mirror) and terraform validate: valid, not one diagnostic', async () => {
      const tf = prepareOfflineHcl({ stackDir: hclDir(env), endpoint: UNUSED_ENDPOINT });
      copies.push(tf);
      const init = await tf.run(['init', '-input=false']);
      if (init.code !== 0) throw new Error(describeFailure(init));
      expect(fs.readFileSync(path.join(tf.workDir, '.terraform.lock.hcl'), 'utf8')).toContain('version     = "5.100.0"');
      const result = parseValidate(await tf.run(['validate', '-json']));
      expect({ valid: result.valid, diagnostics: result.diagnostics.map(formatDiagnostic) }).toEqual({ valid: true, diagnostics: [] });
    }, STEP_TIMEOUT);
  });

  describe('dev: applied from the JSON, then planned from the HCL with the same state', () => {
    let moto: MotoServer | undefined;
    let fromJson: OfflineTerraform | undefined;
    let fromHcl: OfflineTerraform | undefined;

    beforeAll(async () => {
      moto = await startMotoServer();
      fromJson = prepareOfflineTerraform({ stackDir: jsonDir('dev'), endpoint: moto.endpoint });
      const jsonArchive = fromJson.archives.handler;
      if (jsonArchive === undefined) throw new Error('the JSON stack has no data.archive_file.handler');
      // The zip path is an artefact of the substitution (archive_file would write ./handler.zip in
      // both): the HCL copy points at the same bytes under the same path, so `filename` is equal.
      fromHcl = prepareOfflineHcl({
        stackDir: hclDir('dev'),
        endpoint: moto.endpoint,
        motoCompatStack: readStackJson(jsonDir('dev')),
        outputPathLiteral: () => jsonArchive.output_path,
      });
    }, STEP_TIMEOUT);

    // Destroy (from the JSON copy, which owns the state) even when a step failed; stop moto always.
    afterAll(() => destroyAndCleanUp({ tf: fromJson, moto, others: [fromHcl] }), STEP_TIMEOUT);

    it('the JSON stack applies against moto', async () => {
      for (const args of [['init', '-input=false'], ['apply', '-auto-approve', '-input=false']]) {
        const res = await fromJson!.run(args);
        if (res.code !== 0) throw new Error(`${describeFailure(res)}\n--- moto ---\n${moto!.logTail(20)}`);
      }
    }, STEP_TIMEOUT);

    it('the HCL, given that state, plans no changes', async () => {
      expect(fromHcl!.archives.handler?.output_base64sha256).toBe(fromJson!.archives.handler?.output_base64sha256);
      fs.copyFileSync(path.join(fromJson!.workDir, 'terraform.tfstate'), path.join(fromHcl!.workDir, 'terraform.tfstate'));
      const init = await fromHcl!.run(['init', '-input=false']);
      if (init.code !== 0) throw new Error(describeFailure(init));
      const { status, result } = await planDetailed(fromHcl!);
      expect({ status, output: status === 'no-changes' ? '' : `${result.stdout.slice(-4000)}\n${result.stderr.slice(-2000)}` }).toEqual({ status: 'no-changes', output: '' });
      expect(result.stdout).toContain('No changes. Your infrastructure matches the configuration.');
    }, STEP_TIMEOUT);
  });
});
