/**
 * The local STS's Query parsing, parameter checks and XML (sts-query.ts, sts-xml.ts), GetSessionToken's
 * parameters, the packed-policy estimate and session tags in a role chain.
 */
import { actionOf, checkDuration, parseAssumeRole, queryParameters, StsError, stsErrorOf } from '../../src/gateway/sts-query';
import { assumeRoleXml, errorXml, getCallerIdentityXml, getSessionTokenXml, xmlEscape } from '../../src/gateway/sts-xml';
import { parseGetSessionToken } from '../../src/gateway/sts-get-session-token';
import { checkPackedPolicySize, packedPolicySize } from '../../src/gateway/packed-policy';
import { chainSessionTags, inheritedTags } from '../../src/gateway/sts-session-tags';
import { errors } from '../../src/gateway/errors';

const ROLE = 'arn:aws:iam::123456789012:role/app/reader';

function params(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

function thrown(fn: () => unknown): StsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StsError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('queryParameters', () => {
  it('reads the query string and a form body, the body winning', () => {
    const p = queryParameters('Action=GetCallerIdentity&Version=2011-06-15', Buffer.from('Action=AssumeRole&RoleSessionName=a+b%2Bc'), 'application/x-www-form-urlencoded; charset=utf-8');
    expect(p.get('Action')).toBe('AssumeRole');
    expect(p.get('Version')).toBe('2011-06-15');
    expect(p.get('RoleSessionName')).toBe('a b+c');
  });

  it('ignores a body that is not form-encoded', () => {
    expect(queryParameters('', Buffer.from('Action=AssumeRole'), 'application/json').get('Action')).toBeUndefined();
  });
});

describe('actionOf', () => {
  it('accepts the supported actions and refuses others as AWS does', () => {
    expect(actionOf(params({ Action: 'AssumeRole' }), ['AssumeRole'])).toBe('AssumeRole');
    expect(thrown(() => actionOf(params({ Action: 'GetSessionToken', Version: '2011-06-15' }), ['AssumeRole']))).toMatchObject({ status: 400, code: 'InvalidAction', message: 'Could not find operation GetSessionToken for version 2011-06-15' });
    expect(thrown(() => actionOf(params({}), ['AssumeRole']))).toMatchObject({ status: 400, code: 'MissingAction' });
  });
});

describe('parseAssumeRole', () => {
  it('reads every parameter', () => {
    expect(parseAssumeRole(params({
      RoleArn: ROLE, RoleSessionName: 'alice@example.com', DurationSeconds: '900', ExternalId: 'ext:1/2', SourceIdentity: 'alice',
      Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}', 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'red', 'Tags.member.2.Key': 'cost', 'Tags.member.2.Value': '',
    }))).toEqual({ roleArn: ROLE, roleSessionName: 'alice@example.com', durationSeconds: 900, externalId: 'ext:1/2', sourceIdentity: 'alice', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] }, tags: { team: 'red', cost: '' }, transitiveTagKeys: [], policyArns: [] });
  });

  it('session tag keys and values may not begin with aws:', () => {
    const ask = (key: string, value: string) => thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', 'Tags.member.1.Key': key, 'Tags.member.1.Value': value })));
    expect(ask('aws:Team', 'red')).toMatchObject({ status: 400, code: 'InvalidParameterValue', message: 'The session tag key "aws:Team" begins with aws:, a prefix reserved for AWS internal use.' });
    expect(ask('Team', 'AWS:red')).toMatchObject({ status: 400, code: 'InvalidParameterValue', message: 'The session tag value "AWS:red" begins with aws:, a prefix reserved for AWS internal use.' });
    expect(parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'uses aws:x' })).tags).toEqual({ team: 'uses aws:x' });
  });

  it('a session policy IAM would reject is MalformedPolicyDocument, not a session that can do nothing', () => {
    const ask = (policy: string) => thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', Policy: policy })));
    expect(ask('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}]}')).toMatchObject({ status: 400, code: 'MalformedPolicyDocument', message: expect.stringMatching(/^The policy document is malformed: statement 0: .*Principal/) });
    expect(ask('{"Version":"2012-10-17","Statement":[{"Effect":"Allowed","Action":"execute-api:Invoke","Resource":"*"}]}')).toMatchObject({ code: 'MalformedPolicyDocument' });
    expect(ask('{"Version":"2012-10-17","Bogus":1,"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}')).toMatchObject({ code: 'MalformedPolicyDocument' });
    expect(ask('not json')).toMatchObject({ code: 'MalformedPolicyDocument', message: 'The policy is not in the valid JSON format.' });
  });

  it('PolicyArns.member.N.arn and TransitiveTagKeys.member.N, in N\'s order', () => {
    const request = parseAssumeRole(params({
      RoleArn: ROLE, RoleSessionName: 'ab', 'PolicyArns.member.2.arn': 'arn:aws:iam::123456789012:policy/b', 'PolicyArns.member.1.arn': 'arn:aws:iam::123456789012:policy/a',
      'Tags.member.1.Key': 'Project', 'Tags.member.1.Value': 'x', 'TransitiveTagKeys.member.1': 'project',
    }));
    expect(request.policyArns).toEqual(['arn:aws:iam::123456789012:policy/a', 'arn:aws:iam::123456789012:policy/b']);
    expect(request.transitiveTagKeys).toEqual(['project']);
  });

  it('more than 10 PolicyArns, a short ARN, a transitive key that is not a tag', () => {
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`PolicyArns.member.${i + 1}.arn`, `arn:aws:iam::123456789012:policy/p${i}`]));
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', ...eleven }))).message)
      .toBe("1 validation error detected: Value '[11 policy ARNs]' at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10");
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', 'PolicyArns.member.1.arn': 'arn:x' }))).message)
      .toBe("1 validation error detected: Value 'arn:x' at 'policyArns.1.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20");
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', 'Tags.member.1.Key': 'a', 'Tags.member.1.Value': 'b', 'TransitiveTagKeys.member.1': 'c' })))).toMatchObject({
      status: 400, code: 'InvalidParameterValue', message: 'The specified transitive tag key must be included in the requested tags.',
    });
  });

  it('a bad session name: AWS\'s validation error', () => {
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'PowerUser/hjacobs' })))).toMatchObject({
      status: 400, code: 'ValidationError', type: 'Sender',
      message: "1 validation error detected: Value 'PowerUser/hjacobs' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    });
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 's'.repeat(65) }))).message)
      .toBe(`1 validation error detected: Value '${'s'.repeat(65)}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64`);
  });

  it('missing parameters and several problems are counted', () => {
    expect(thrown(() => parseAssumeRole(params({}))).message).toBe(
      "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
    );
  });

  it('DurationSeconds bounds', () => {
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', DurationSeconds: '123' }))).message)
      .toBe("1 validation error detected: Value '123' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', DurationSeconds: '86400' }))).message)
      .toBe("1 validation error detected: Value '86400' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200");
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', DurationSeconds: '1e3' }))).code).toBe('ValidationError');
  });

  it('checkDuration: the role\'s maximum and role chaining\'s hour', () => {
    expect(() => checkDuration(3600, 3600, false)).not.toThrow();
    expect(thrown(() => checkDuration(3601, 3600, false))).toMatchObject({ status: 400, code: 'ValidationError', message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' });
    expect(thrown(() => checkDuration(3601, 43200, true)).message).toBe('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  });

  it('a Policy that is not JSON, and duplicate tag keys', () => {
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', Policy: '{nope' })))).toMatchObject({ status: 400, code: 'MalformedPolicyDocument' });
    expect(thrown(() => parseAssumeRole(params({ RoleArn: ROLE, RoleSessionName: 'ab', 'Tags.member.1.Key': 'Team', 'Tags.member.1.Value': 'a', 'Tags.member.2.Key': 'team', 'Tags.member.2.Value': 'b' }))).code).toBe('InvalidParameterValue');
  });
});

describe('signature errors in STS\'s words', () => {
  it('maps the gateway\'s codes to STS\'s, keeping the texts', () => {
    expect(stsErrorOf(errors.unknownAccessKey())).toMatchObject({ status: 403, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' });
    expect(stsErrorOf(errors.signatureMismatch()).code).toBe('SignatureDoesNotMatch');
    expect(stsErrorOf(errors.expiredToken())).toMatchObject({ code: 'ExpiredToken', message: 'The security token included in the request is expired' });
    expect(stsErrorOf(errors.incompleteSignature(["Authorization header requires 'Signature' parameter."], 'x')).code).toBe('IncompleteSignature');
  });
});

describe('XML', () => {
  it('escapes', () => {
    expect(xmlEscape(`<a href="x">&'`)).toBe(`&lt;a href="x"&gt;&amp;'`);
  });

  it('AssumeRole, GetCallerIdentity and errors in AWS\'s shapes', () => {
    const xml = assumeRoleXml({ accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 's/+=', sessionToken: 'v1.tok', expiration: new Date('2026-01-01T01:00:00.123Z') }, { assumedRoleId: 'AROAX:alice', arn: 'arn:aws:sts::123456789012:assumed-role/reader/alice' }, 'rid');
    expect(xml.replace(/\s+</g, '<')).toBe('<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAAAAAAAAAAAAAAAAA</AccessKeyId><SecretAccessKey>s/+=</SecretAccessKey><SessionToken>v1.tok</SessionToken><Expiration>2026-01-01T01:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAX:alice</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/reader/alice</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></AssumeRoleResponse>\n');
    expect(getCallerIdentityXml({ arn: 'arn:aws:iam::123456789012:user/u', userId: 'AIDAX', account: '123456789012' }, 'rid').replace(/\s+</g, '<'))
      .toBe('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/u</Arn><UserId>AIDAX</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetCallerIdentityResponse>\n');
    expect(errorXml({ type: 'Sender', code: 'AccessDenied', message: 'a <b>' }, 'rid').replace(/\s+</g, '<'))
      .toBe('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>a &lt;b&gt;</Message></Error><RequestId>rid</RequestId></ErrorResponse>\n');
  });

  it('PackedPolicySize after AssumedRoleUser; GetSessionToken\'s credentials only', () => {
    const credentials = { accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 's', sessionToken: 'v1.tok', expiration: new Date('2026-01-01T01:00:00Z') };
    expect(assumeRoleXml(credentials, { assumedRoleId: 'AROAX:a', arn: 'arn' }, 'rid', { packedPolicySize: 7, sourceIdentity: 'me' }).replace(/\s+</g, '<'))
      .toContain('</AssumedRoleUser><PackedPolicySize>7</PackedPolicySize><SourceIdentity>me</SourceIdentity></AssumeRoleResult>');
    expect(getSessionTokenXml(credentials, 'rid').replace(/\s+</g, '<'))
      .toBe('<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetSessionTokenResult><Credentials><AccessKeyId>ASIAAAAAAAAAAAAAAAAA</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>v1.tok</SessionToken><Expiration>2026-01-01T01:00:00Z</Expiration></Credentials></GetSessionTokenResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetSessionTokenResponse>\n');
  });
});

describe('parseGetSessionToken', () => {
  it('DurationSeconds: 43200 by default, 900 to 129600', () => {
    expect(parseGetSessionToken(params({}))).toEqual({ durationSeconds: 43200 });
    expect(parseGetSessionToken(params({ DurationSeconds: '129600' }))).toEqual({ durationSeconds: 129600 });
    expect(thrown(() => parseGetSessionToken(params({ DurationSeconds: '129601' }))).message)
      .toBe("1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600");
    expect(thrown(() => parseGetSessionToken(params({ DurationSeconds: '899' }))).message)
      .toBe("1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
  });

  it('MFA parameters are refused: nothing here can verify them', () => {
    expect(thrown(() => parseGetSessionToken(params({ SerialNumber: 'arn:aws:iam::123456789012:mfa/u', TokenCode: '123456' })))).toMatchObject({
      status: 403, code: 'AccessDenied', message: 'MultiFactorAuthentication failed: the local STS has no MFA devices and cannot verify SerialNumber or TokenCode; call GetSessionToken without them.',
    });
  });
});

describe('packed policy size', () => {
  it('a percentage of the packed limit; over 100 is PackedPolicyTooLarge', () => {
    const small = packedPolicySize({ policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] }, policyArns: [], tags: {} });
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(40);
    // Forty distinct actions, as a public report measured over 100% on AWS.
    const actions = Array.from({ length: 40 }, (_, i) => `service${i % 7}:Action${(i * 7919) % 1000}Name${i}`);
    const big = packedPolicySize({ policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }, policyArns: [], tags: {} });
    expect(big).toBeGreaterThan(100);
    expect(thrown(() => checkPackedPolicySize(big))).toMatchObject({ status: 400, code: 'PackedPolicyTooLarge', message: `Packed policy consumes ${big}% of allotted space` });
    expect(() => checkPackedPolicySize(100)).not.toThrow();
  });
});

describe('session tags in a role chain', () => {
  const caller = { tags: { Star: '1', Heart: '1', Moon: '0' }, transitiveTagKeys: ['star', 'Heart'] };

  it('the caller\'s transitive tags pass on and stay transitive; its other tags do not', () => {
    const inherited = inheritedTags(caller);
    expect(inherited).toEqual({ tags: { Star: '1', Heart: '1' }, transitiveTagKeys: ['Star', 'Heart'] });
    expect(chainSessionTags(inherited, { tags: { Sun: '2', Cloud: '3' }, transitiveTagKeys: ['cloud'] })).toEqual({
      tags: { Star: '1', Heart: '1', Sun: '2', Cloud: '3' }, transitiveTagKeys: ['Star', 'Heart', 'Cloud'],
    });
    expect(inheritedTags(undefined)).toEqual({ tags: {}, transitiveTagKeys: [] });
  });

  it('an inherited transitive tag cannot be passed again, in any case', () => {
    expect(thrown(() => chainSessionTags(inheritedTags(caller), { tags: { STAR: '5' }, transitiveTagKeys: [] }))).toMatchObject({
      status: 400, code: 'InvalidParameterValue',
      message: 'The session tag STAR cannot be set: the calling session passes on the transitive session tag Star, which a session in a role chain cannot override.',
    });
  });
});
