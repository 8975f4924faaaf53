#!/usr/bin/env python3
"""Call the IAM-protected HTTP API from Python, signing with botocore's SigV4Auth as AWS's
documentation does. Credentials come from botocore's usual chain: AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, or a profile (--profile or AWS_PROFILE) in AWS_SHARED_CREDENTIALS_FILE
(for the local gateway: .iam-http-api/credentials) or ~/.aws/credentials.

    python3 clients/python/call_api.py GET http://127.0.0.1:3000/hello --profile viewer
    python3 clients/python/call_api.py POST http://127.0.0.1:3000/items --data '{"message":"hi"}' --profile admin

Temporary credentials work as in any botocore client: AWS_SESSION_TOKEN (or a profile's
aws_session_token) is signed as X-Amz-Security-Token, and a role profile (role_arn with
source_profile, in AWS_CONFIG_FILE) is assumed by botocore at the profile's endpoint_url, so one
pointing at the local STS works locally:

    AWS_CONFIG_FILE=my-config AWS_SHARED_CREDENTIALS_FILE=.iam-http-api/credentials \
      python3 clients/python/call_api.py GET http://127.0.0.1:3000/hello --profile deployer-local

Prints the status line and the body; exits 0 for 2xx, 1 otherwise. Never prints a secret.
"""
import argparse
import json
import sys
import urllib.error
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def main() -> int:
    parser = argparse.ArgumentParser(description="Call an IAM-protected API Gateway HTTP API")
    parser.add_argument("method", help="HTTP method, e.g. GET")
    parser.add_argument("url", help="full URL, e.g. http://127.0.0.1:3000/hello")
    parser.add_argument("--data", help="request body (sent as application/json)")
    parser.add_argument("--profile", help="profile in the shared credentials file")
    parser.add_argument("--region", default="us-east-1", help="the API's region (default us-east-1)")
    args = parser.parse_args()

    session = botocore.session.Session(profile=args.profile)
    if session.get_config_variable("region") is None:
        # A role profile without a region could not call STS (NoRegionError): use the API's.
        session.set_config_variable("region", args.region)
    credentials = session.get_credentials()
    if credentials is None:
        print("No AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
              "--profile NAME with AWS_SHARED_CREDENTIALS_FILE=.iam-http-api/credentials", file=sys.stderr)
        return 2

    headers = {"content-type": "application/json"} if args.data is not None else {}
    # Bytes: urllib refuses a str body (a POST with --data failed with a TypeError before).
    body = args.data.encode("utf-8") if args.data is not None else None
    request = AWSRequest(method=args.method.upper(), url=args.url, data=body, headers=headers)
    SigV4Auth(credentials, "execute-api", args.region).add_auth(request)
    prepared = request.prepare()

    http_request = urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers), method=prepared.method)
    try:
        with urllib.request.urlopen(http_request, timeout=30) as response:
            status, reason, body = response.status, response.reason, response.read()
    except urllib.error.HTTPError as error:
        status, reason, body = error.code, error.reason, error.read()
    except urllib.error.URLError as error:
        print(f"Could not reach {args.url}: {error.reason}. Is `npm start` running?", file=sys.stderr)
        return 2

    print(f"HTTP {status} {reason}")
    text = body.decode("utf-8", "replace")
    try:
        print(json.dumps(json.loads(text), indent=2))
    except ValueError:
        print(text)
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
