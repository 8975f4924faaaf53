/**
 * The local STS's answers, in AWS's Query-protocol XML (API version 2011-06-15), as the AWS
 * STS API Reference shows them ("AssumeRole", "GetCallerIdentity" examples,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html) and as SDKs parse them:
 * `<XResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><XResult>…</XResult>
 * <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></XResponse>`, and errors as
 * `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>
 * <RequestId>…</RequestId></ErrorResponse>`.
 */
import type { SessionCredentials } from './session-tokens';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * Characters XML 1.0 allows nowhere, not even as references (`&#1;` is not well-formed): control
 * characters but tab and newlines, lone surrogates, U+FFFE and U+FFFF.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * Escapes text for an XML element's content (quotes need no escaping there, and AWS leaves them).
 * A character XML cannot carry becomes U+FFFD: a validation message echoes the caller's value, and
 * a `%01` in it must not make the whole answer unparsable to the SDK (found by sts-fuzz.test.ts;
 * AWS's own handling of such values is not documented).
 */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string).replace(NOT_XML_CHARACTER, '\uFFFD');
}

function element(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

function response(action: string, result: string, requestId: string): string {
  return `<${action}Response xmlns="${STS_NAMESPACE}">\n`
    + `  <${action}Result>\n${result}  </${action}Result>\n`
    + `  <ResponseMetadata>\n    ${element('RequestId', xmlEscape(requestId))}\n  </ResponseMetadata>\n`
    + `</${action}Response>\n`;
}

/** `2026-11-30T08:00:00Z`: AWS's Expiration has no milliseconds. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function credentialsXml(credentials: SessionCredentials): string[] {
  return [
    '    <Credentials>',
    `      ${element('AccessKeyId', xmlEscape(credentials.accessKeyId))}`,
    `      ${element('SecretAccessKey', xmlEscape(credentials.secretAccessKey))}`,
    `      ${element('SessionToken', xmlEscape(credentials.sessionToken))}`,
    `      ${element('Expiration', isoSeconds(credentials.expiration))}`,
    '    </Credentials>',
  ];
}

export function assumeRoleXml(
  credentials: SessionCredentials,
  user: { readonly assumedRoleId: string; readonly arn: string },
  requestId: string,
  extra: { readonly sourceIdentity?: string; readonly packedPolicySize?: number } = {},
): string {
  return response('AssumeRole', [
    ...credentialsXml(credentials),
    '    <AssumedRoleUser>',
    `      ${element('AssumedRoleId', xmlEscape(user.assumedRoleId))}`,
    `      ${element('Arn', xmlEscape(user.arn))}`,
    '    </AssumedRoleUser>',
    // AWS sends PackedPolicySize only with session policies or tags; it is a percentage of the limit.
    ...(extra.packedPolicySize !== undefined ? [`    ${element('PackedPolicySize', String(extra.packedPolicySize))}`] : []),
    ...(extra.sourceIdentity !== undefined ? [`    ${element('SourceIdentity', xmlEscape(extra.sourceIdentity))}`] : []),
  ].map((line) => `${line}\n`).join(''), requestId);
}

/** GetSessionToken's answer: the credentials only (API Reference, GetSessionToken, example). */
export function getSessionTokenXml(credentials: SessionCredentials, requestId: string): string {
  return response('GetSessionToken', credentialsXml(credentials).map((line) => `${line}\n`).join(''), requestId);
}

export function getCallerIdentityXml(identity: { readonly arn: string; readonly userId: string; readonly account: string }, requestId: string): string {
  return response('GetCallerIdentity', [
    `    ${element('Arn', xmlEscape(identity.arn))}`,
    `    ${element('UserId', xmlEscape(identity.userId))}`,
    `    ${element('Account', xmlEscape(identity.account))}`,
  ].map((line) => `${line}\n`).join(''), requestId);
}

export function errorXml(error: { readonly type: 'Sender' | 'Receiver'; readonly code: string; readonly message: string }, requestId: string): string {
  return `<ErrorResponse xmlns="${STS_NAMESPACE}">\n`
    + `  <Error>\n    ${element('Type', error.type)}\n    ${element('Code', xmlEscape(error.code))}\n    ${element('Message', xmlEscape(error.message))}\n  </Error>\n`
    + `  ${element('RequestId', xmlEscape(requestId))}\n`
    + '</ErrorResponse>\n';
}
