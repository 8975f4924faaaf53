/**
 * The CLI's reading of the AWS shared config and credentials files (clients/cli/aws-config.ts)
 * and its STS endpoint order (clients/cli/sts-endpoint.ts): pure functions, no files.
 */
import { configProfiles, mergedProfile, parseSharedIni, profileKind, profileStsEndpoint, type SharedFile } from '../../clients/cli/aws-config';
import { resolveStsEndpoint } from '../../clients/cli/sts-endpoint';
import type { RunningGateway } from '../../src/gateway/running-gateway';

const CONFIG = `
# a comment
[default]
region = us-east-1

[profile deployer]
role_arn = arn:aws:iam::123456789012:role/deployer
source_profile = admin
services = local

[profile plain]
endpoint_url = http://127.0.0.1:4566
ignore_configured_endpoint_urls = false

[profile ignoring]
endpoint_url = http://127.0.0.1:4566
ignore_configured_endpoint_urls = true

[services local]
s3 =
  endpoint_url = http://127.0.0.1:9000
sts =
  endpoint_url = http://127.0.0.1:3001

[not-a-profile]
aws_access_key_id = AKIAIGNORED
`;

const config: SharedFile = { file: '/home/me/.aws/config', sections: parseSharedIni(CONFIG) };
const credentials: SharedFile = { file: '/home/me/.aws/credentials', sections: parseSharedIni('[admin]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n[deployer]\nregion = eu-west-1\n') };

describe('shared config files', () => {
  it('reads [profile x] and [default] as profiles, not other sections; sub-sections as sts.endpoint_url', () => {
    expect([...configProfiles(config).keys()]).toEqual(['default', 'deployer', 'plain', 'ignoring']);
    expect(config.sections?.get('services local')).toEqual({ 's3.endpoint_url': 'http://127.0.0.1:9000', 'sts.endpoint_url': 'http://127.0.0.1:3001' });
  });

  it('merges a profile as the SDK does: the credentials file wins', () => {
    expect(mergedProfile('deployer', config, credentials)).toEqual({ role_arn: 'arn:aws:iam::123456789012:role/deployer', source_profile: 'admin', services: 'local', region: 'eu-west-1' });
    expect(mergedProfile('nobody', config, credentials)).toBeUndefined();
  });

  it.each([
    [{ role_arn: 'r', source_profile: 'a', aws_access_key_id: 'k', aws_secret_access_key: 's' }, 'assume-role'],
    [{ role_arn: 'r', credential_source: 'Environment' }, 'assume-role'],
    [{ aws_access_key_id: 'k', aws_secret_access_key: 's' }, 'static'],
    [{ role_arn: 'r', web_identity_token_file: '/t' }, 'web-identity'],
    [{ credential_process: 'x' }, 'process'],
    [{ sso_session: 'corp', sso_account_id: '1', sso_role_name: 'r' }, 'sso'],
    [{ aws_access_key_id: 'k' }, 'incomplete'],
    [{ region: 'us-east-1' }, 'incomplete'],
  ])('profile %j is %s', (profile, kind) => {
    expect(profileKind(profile)).toBe(kind);
  });

  it('the STS endpoint of a profile: its services section, else its endpoint_url, unless ignored', () => {
    const profiles = configProfiles(config);
    expect(profileStsEndpoint(profiles.get('deployer'), config)).toBe('http://127.0.0.1:3001');
    expect(profileStsEndpoint(profiles.get('plain'), config)).toBe('http://127.0.0.1:4566');
    expect(profileStsEndpoint(profiles.get('ignoring'), config)).toBeUndefined();
    expect(profileStsEndpoint(profiles.get('default'), config)).toBeUndefined();
  });
});

describe('where the CLI calls STS', () => {
  const gateway: RunningGateway = { url: 'http://127.0.0.1:3000', stack: 'dev', region: 'us-east-1', pid: 1, credentialsFile: '/x/credentials', stsUrl: 'http://127.0.0.1:3001' };
  const profile = configProfiles(config).get('plain');
  const base = { env: {}, profileName: 'plain', profile, config, region: 'eu-west-1' };

  it('--sts-url, then AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, then the profile', () => {
    const env = { AWS_ENDPOINT_URL_STS: 'http://sts.test:1', AWS_ENDPOINT_URL: 'http://all.test:2' };
    expect(resolveStsEndpoint({ ...base, env, stsUrl: 'http://flag.test:3/' })).toEqual({ url: 'http://flag.test:3', from: '--sts-url' });
    expect(resolveStsEndpoint({ ...base, env })).toEqual({ url: 'http://sts.test:1', from: 'AWS_ENDPOINT_URL_STS' });
    expect(resolveStsEndpoint({ ...base, env: { AWS_ENDPOINT_URL: 'http://all.test:2' } })).toEqual({ url: 'http://all.test:2', from: 'AWS_ENDPOINT_URL' });
    expect(resolveStsEndpoint(base)).toEqual({ url: 'http://127.0.0.1:4566', from: 'endpoint_url of profile plain in /home/me/.aws/config' });
  });

  it('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS skips the environment and the profile, not --sts-url', () => {
    const env = { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL_STS: 'http://sts.test:1' };
    expect(resolveStsEndpoint({ ...base, env })).toEqual({ from: 'AWS, https://sts.eu-west-1.amazonaws.com' });
    expect(resolveStsEndpoint({ ...base, env, stsUrl: 'http://flag.test:3' }).from).toBe('--sts-url');
    // The profile's ignore_configured_endpoint_urls = true skips AWS_ENDPOINT_URL_STS too, unless the environment says false.
    const ignoring = { ...base, profileName: 'ignoring', profile: configProfiles(config).get('ignoring') };
    expect(resolveStsEndpoint({ ...ignoring, env: { AWS_ENDPOINT_URL_STS: 'http://sts.test:1' } })).toEqual({ from: 'AWS, https://sts.eu-west-1.amazonaws.com' });
    expect(resolveStsEndpoint({ ...ignoring, env: { AWS_ENDPOINT_URL_STS: 'http://sts.test:1', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' } }).from).toBe('AWS_ENDPOINT_URL_STS');
  });

  it('the running local gateway\'s STS only when given (--role-arn) and the call goes to that gateway', () => {
    const none = { ...base, profile: undefined, profileName: 'admin' };
    expect(resolveStsEndpoint({ ...none, gateway, targetUrl: new URL('http://127.0.0.1:3000/hello') })).toEqual({ url: 'http://127.0.0.1:3001', from: "the running local gateway's STS, stack dev" });
    expect(resolveStsEndpoint({ ...none, gateway, targetUrl: new URL('https://abc.execute-api.eu-west-1.amazonaws.com/hello') })).toEqual({ from: 'AWS, https://sts.eu-west-1.amazonaws.com' });
    expect(resolveStsEndpoint(none)).toEqual({ from: 'AWS, https://sts.eu-west-1.amazonaws.com' });
  });

  it('a malformed endpoint is an error naming where it came from', () => {
    expect(() => resolveStsEndpoint({ ...base, env: { AWS_ENDPOINT_URL_STS: 'localhost:3001' } })).toThrow('AWS_ENDPOINT_URL_STS "localhost:3001" is not an http(s) URL');
  });
});
