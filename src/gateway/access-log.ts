/**
 * The stage's access log, as API Gateway writes it to CloudWatch: one line per request in the
 * stage's synthesized `access_log_settings.format`, each `$context.<variable>` replaced by its
 * value. AWS docs, "Customizing HTTP API access logs"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html)
 * lists the variables; those the local gateway knows are filled (CONTEXT_VARIABLES), any other
 * (an authorizer's, a JWT claim, a client certificate, Cognito, principalOrgId ...) is `-`, API
 * Gateway's mark for a value it does not have.
 *
 * Values are put in as they are, not escaped: API Gateway does not escape them either, so a
 * value with a `"` or `\` makes a JSON format's line invalid JSON on AWS too ("Quotes or
 * backslashes in fields break API Gateway logs JSON", DataBiosphere/azul#4348).
 */
import type { InvocationOutcome } from './invoke';

/** What the gateway knows of one request, for its access-log line. */
export interface RequestFacts {
  readonly requestId: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  /** The Host header. */
  readonly domainName?: string;
  readonly httpMethod: string;
  /** The request path as sent. */
  readonly path: string;
  /** `HTTP/1.1`. */
  readonly protocol: string;
  /** When the request arrived (the gateway's clock). */
  readonly requestTime: Date;
  /** `-` when no route matched. */
  readonly routeKey: string;
  readonly status: number;
  /** Bytes of the response body. */
  readonly responseLength: number;
  /** From arrival to the response, ms. */
  readonly responseLatencyMs: number;
  readonly sourceIp: string;
  readonly userAgent?: string;
  /** The IAM caller, for a signed request to an AWS_IAM route that got that far. */
  readonly caller?: { readonly userArn: string; readonly userId: string; readonly accountId: string };
  /** API Gateway's own error message (`{"message": ...}` of a response it made itself). */
  readonly errorMessage?: string;
  /** The Lambda integration, when it was called. */
  readonly integration?: IntegrationFacts;
}

export interface IntegrationFacts {
  /** Lambda's request id for the invocation (its x-amzn-RequestId). */
  readonly awsRequestId: string;
  readonly latencyMs: number;
  readonly outcome: InvocationOutcome;
  /** The function's statusCode, when its response was used. */
  readonly functionStatus?: number;
  /** Why the function's result could not be used (a malformed response). */
  readonly malformed?: string;
}

/**
 * Lambda's own answer to the Invoke call: 200 whenever it ran the function, a function error
 * included ("Lambda returns 200 if it was able to invoke the function. If the function returns an
 * error, that's reflected in the X-Amz-Function-Error header", awsdocs/aws-lambda-developer-guide#127);
 * its error statuses when it refused the call (RequestEntityTooLargeException 413,
 * TooManyRequestsException 429, AWS Lambda API reference, Invoke, Errors).
 */
function lambdaStatus(outcome: InvocationOutcome): number | undefined {
  switch (outcome.kind) {
    case 'rejected':
      return outcome.errorType === 'TooManyRequestsException' ? 429 : 413;
    case 'integration-timeout':
      return undefined;
    default:
      return 200;
  }
}

/**
 * The integration's error message. AWS does not document its wording for each case, so the
 * gateway says what happened in its own words (those of its own log line for the request), with
 * `"` as `'` and `\` as `/` and control characters as spaces: text that is the gateway's, not
 * AWS's, does not break a JSON format's line (a request's own values, a path or user agent, do,
 * as on AWS).
 */
function integrationError(integration: IntegrationFacts | undefined): string | undefined {
  return describeIntegrationError(integration)?.replace(/"/g, "'").replace(/\\/g, '/').replace(/[\u0000-\u001f\u007f]/g, ' ');
}

function describeIntegrationError(integration: IntegrationFacts | undefined): string | undefined {
  if (!integration) return undefined;
  const { outcome } = integration;
  switch (outcome.kind) {
    case 'result':
      return integration.malformed === undefined ? undefined : `The Lambda function returned a malformed response: ${integration.malformed}`;
    case 'error':
    case 'rejected':
      return `${outcome.errorType}: ${outcome.errorMessage}`;
    case 'timeout':
      return `Task timed out after ${outcome.timeoutSeconds.toFixed(2)} seconds`;
    case 'crash':
      return outcome.message;
    case 'integration-timeout':
      return `The Lambda function did not answer within the integration timeout (${outcome.afterMs} ms)`;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "The CLF-formatted request time (dd/MMM/yyyy:HH:mm:ss +-hhmm)", in UTC. */
export function clfTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

type Variable = (facts: RequestFacts) => string | number | undefined;

/** Every `$context` variable the local gateway fills; the documented meaning is in the comment. */
export const CONTEXT_VARIABLES: Readonly<Record<string, Variable>> = {
  // "The API owner's AWS account ID." / "The identifier API Gateway assigns to your API."
  accountId: (f) => f.accountId,
  apiId: (f) => f.apiId,
  // "The full domain name used to invoke the API. This should be the same as the incoming Host
  // header." / "The first label of the $context.domainName."
  domainName: (f) => f.domainName,
  domainPrefix: (f) => f.domainName?.split('.')[0],
  // "A string that contains an API Gateway error message." / "The quoted value of $context.error.message".
  'error.message': (f) => f.errorMessage,
  'error.messageString': (f) => (f.errorMessage === undefined ? undefined : `"${f.errorMessage}"`),
  httpMethod: (f) => f.httpMethod,
  // "Supported for routes that use IAM authorization": the caller's account, "principal
  // identifier" (an IAM user's unique id), user and ARN.
  'identity.accountId': (f) => f.caller?.accountId,
  'identity.caller': (f) => f.caller?.userId,
  'identity.user': (f) => f.caller?.userId,
  'identity.userArn': (f) => f.caller?.userArn,
  'identity.sourceIp': (f) => f.sourceIp,
  'identity.userAgent': (f) => f.userAgent,
  // "The error message returned from an integration. Equivalent to $context.integrationErrorMessage."
  'integration.error': (f) => integrationError(f.integration),
  integrationErrorMessage: (f) => integrationError(f.integration),
  // "For Lambda proxy integration, the status code returned from AWS Lambda, not from the backend
  // Lambda function code."
  'integration.integrationStatus': (f) => (f.integration ? lambdaStatus(f.integration.outcome) : undefined),
  integrationStatus: (f) => (f.integration ? lambdaStatus(f.integration.outcome) : undefined),
  // "The integration latency in ms."
  'integration.latency': (f) => (f.integration ? Math.round(f.integration.latencyMs) : undefined),
  integrationLatency: (f) => (f.integration ? Math.round(f.integration.latencyMs) : undefined),
  // "The AWS endpoint's request ID. Equivalent to $context.awsEndpointRequestId."
  'integration.requestId': (f) => f.integration?.awsRequestId,
  awsEndpointRequestId: (f) => f.integration?.awsRequestId,
  // "For Lambda proxy integrations, this is the status code that your Lambda function code returns."
  'integration.status': (f) => f.integration?.functionStatus,
  path: (f) => f.path,
  protocol: (f) => f.protocol,
  requestId: (f) => f.requestId,
  requestTime: (f) => clfTime(f.requestTime),
  // "The Epoch-formatted request time", in milliseconds as API Gateway writes it.
  requestTimeEpoch: (f) => f.requestTime.getTime(),
  responseLatency: (f) => Math.round(f.responseLatencyMs),
  responseLength: (f) => f.responseLength,
  routeKey: (f) => f.routeKey,
  stage: (f) => f.stage,
  status: (f) => f.status,
};

const VARIABLE = /\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g;

/** The access-log line for one request: `format` with every `$context` variable replaced. */
export function formatAccessLog(format: string, facts: RequestFacts): string {
  return format.replace(VARIABLE, (_match, name: string) => {
    const value = Object.hasOwn(CONTEXT_VARIABLES, name) ? CONTEXT_VARIABLES[name](facts) : undefined;
    return value === undefined || value === '' ? '-' : String(value);
  });
}
