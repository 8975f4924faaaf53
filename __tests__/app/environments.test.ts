/**
 * dev and prod, from iam-http-api.config.ts: they differ where the configuration says (CORS
 * origins, invokers, log retention) and share nothing stateful: their own state (file or
 * Terraform Cloud workspace) and no AWS resource whose identity collides, so both can live
 * in one account and region.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import config from '../../iam-http-api.config';
import { buildApp } from '../../src/app/build-app';
import { resolveConfig } from '../../src/config/resolve';
import type { StackConfig } from '../../src/config/types';

const root = path.resolve(__dirname, '..', '..');

type Resources = Record<string, Record<string, Record<string, unknown>>>;
interface StackJson {
  terraform: { backend?: Record<string, { path?: string }>; cloud?: { workspaces: { name: string } } };
  resource: Resources;
}

let scratch: string;
const synthesized: Record<string, StackJson> = {};
const cloud: Record<string, StackJson> = {};
const configured: Record<string, StackConfig> = Object.fromEntries(resolveConfig(config).map((c) => [c.environment, c]));

function read(outdir: string, env: string): StackJson {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', env, 'cdk.tf.json'), 'utf8')) as StackJson;
}

beforeAll(() => {
  fs.mkdirSync(path.join(root, '.build'), { recursive: true });
  scratch = fs.mkdtempSync(path.join(root, '.build', 'environments-'));
  const buildDir = path.join(scratch, 'build');
  buildApp(config, { outdir: path.join(scratch, 'local'), env: {}, buildDir }).synth();
  buildApp(config, { outdir: path.join(scratch, 'cloud'), env: { TF_CLOUD_ORGANIZATION: 'acme' }, buildDir }).synth();
  for (const env of ['dev', 'prod']) {
    synthesized[env] = read(path.join(scratch, 'local'), env);
    cloud[env] = read(path.join(scratch, 'cloud'), env);
  }
}, 60_000);

afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

function resource(env: string, type: string, name: string): Record<string, unknown> {
  const r = synthesized[env]?.resource[type]?.[name];
  if (!r) throw new Error(`${env}: no ${type}.${name}`);
  return r;
}

describe('environments', () => {
  it('the configuration has dev and prod, and they differ in CORS, invokers and retention', () => {
    expect(Object.keys(configured)).toEqual(['dev', 'prod']);
    const { dev, prod } = configured as { dev: StackConfig; prod: StackConfig };
    expect(dev.cors.allowOrigins).not.toEqual(prod.cors.allowOrigins);
    expect(Object.keys(dev.invokers)).not.toEqual(Object.keys(prod.invokers));
    expect(dev.lambda.logRetentionDays).not.toBe(prod.lambda.logRetentionDays);
    expect(dev.accessLogRetentionDays).not.toBe(prod.accessLogRetentionDays);
  });

  it.each(['dev', 'prod'])('%s is synthesized with its own CORS origins, invokers and retention', (env) => {
    const c = configured[env]!;
    expect((resource(env, 'aws_apigatewayv2_api', 'api').cors_configuration as { allow_origins: string[] }).allow_origins).toEqual(c.cors.allowOrigins);
    const [roles, users] = [Object.entries(c.invokers).filter(([, i]) => i.kind === 'role'), Object.entries(c.invokers).filter(([, i]) => i.kind !== 'role')];
    expect(Object.keys(synthesized[env]!.resource.aws_iam_user ?? {})).toEqual(users.map(([n]) => `invoker_${n}`));
    expect(Object.keys(synthesized[env]!.resource.aws_iam_role ?? {}).filter((k) => k.startsWith('invoker_')).sort()).toEqual(roles.map(([n]) => `invoker_${n}`).sort());
    expect(resource(env, 'aws_cloudwatch_log_group', 'handler_logs').retention_in_days).toBe(c.lambda.logRetentionDays);
    expect(resource(env, 'aws_cloudwatch_log_group', 'api_access_logs').retention_in_days).toBe(c.accessLogRetentionDays);
  });

  it('prod lets no one but admin write: viewer may only GET, and there is no editor', () => {
    expect(synthesized.prod!.resource.aws_iam_user?.invoker_editor).toBeUndefined();
    expect(JSON.parse(String(resource('prod', 'aws_iam_user_policy', 'invoker_viewer_invoke').policy)).Statement[0].Resource).toEqual([
      '${aws_apigatewayv2_api.api.execution_arn}/$default/GET/*',
    ]);
  });

  it('each has its own state: a local file, or a Terraform Cloud workspace', () => {
    for (const env of ['dev', 'prod']) {
      const statePath = synthesized[env]!.terraform.backend?.local?.path ?? '';
      // Relative to the stack folder, it lands beside cdktf.json (the project root).
      expect(path.resolve(scratch, 'local', 'stacks', env, statePath)).toBe(path.join(root, `terraform.${env}.tfstate`));
    }
    expect(cloud.dev!.terraform.cloud?.workspaces.name).toBe('iam-http-api-dev');
    expect(cloud.prod!.terraform.cloud?.workspaces.name).toBe('iam-http-api-prod');
  });

  /**
   * What identifies each resource in AWS (names, or the parent it belongs to), with
   * references resolved: `${aws_iam_user.invoker_viewer.name}` becomes that user's name;
   * anything only known after apply (an API id) is unique to its stack by construction.
   */
  function identities(env: string): Set<string> {
    const resources = synthesized[env]!.resource;
    const resolve = (value: unknown): string =>
      String(value).replace(/\$\{(\w+)\.(\w+)\.(\w+)\}/g, (_m, type: string, name: string, attr: string) => {
        const target = resources[type]?.[name];
        const literal = target?.[attr];
        return typeof literal === 'string' && !literal.includes('${') ? literal : `<${env}:${type}.${name}.${attr}>`;
      });
    const keys = ['name', 'function_name', 'user', 'role', 'api_id', 'route_key', 'statement_id'];
    const out = new Set<string>();
    for (const [type, byName] of Object.entries(resources)) {
      for (const attrs of Object.values(byName)) {
        out.add(`${type} ${keys.filter((k) => attrs[k] !== undefined).map((k) => `${k}=${resolve(attrs[k])}`).join(' ')}`);
      }
    }
    return out;
  }

  it('no AWS resource of dev collides with one of prod', () => {
    const dev = identities('dev');
    const prod = identities('prod');
    expect(dev.size).toBe(Object.values(synthesized.dev!.resource).reduce((n, r) => n + Object.keys(r).length, 0));
    expect([...dev].filter((id) => prod.has(id))).toEqual([]);
    expect(dev).toContain('aws_iam_user name=iam-http-api-dev-viewer');
    expect(prod).toContain('aws_iam_user_policy name=invoke-api user=iam-http-api-prod-viewer');
  });
});
