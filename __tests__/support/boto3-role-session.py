#!/usr/bin/env python3
"""Temporary credentials with boto3/botocore against a local STS and gateway, for
__tests__/clients/sts-clients.test.ts. Prints one JSON summary on stdout: statuses, ARNs, error
codes and messages, never a secret or a session token.

Environment: STS_URL, GATEWAY_URL, ROLE_ARN, REGION, and AWS_SHARED_CREDENTIALS_FILE (the local
gateway's, with the invokers admin and viewer) and AWS_CONFIG_FILE (with the profile
deployer-local: role_arn, source_profile = admin, endpoint_url = the local STS).

1. boto3.client('sts', endpoint_url=STS_URL).assume_role(...) as admin, then
   get_caller_identity() as the session;
2. GET /hello and POST /items signed with botocore's SigV4Auth and the session's credentials
   (X-Amz-Security-Token added by SigV4Auth, as for any AWS service);
3. assume_role as viewer, whom the trust policy does not name: the ClientError;
4. the profile deployer-local: botocore's own assume-role provider, at the profile's
   endpoint_url, then the same GET.
"""
import json
import os
import urllib.error
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

STS_URL = os.environ["STS_URL"]
GATEWAY_URL = os.environ["GATEWAY_URL"]
ROLE_ARN = os.environ["ROLE_ARN"]
REGION = os.environ["REGION"]


def call(credentials, method, path, body=None):
    headers = {"content-type": "application/json"} if body is not None else {}
    request = AWSRequest(method=method, url=GATEWAY_URL + path, data=body.encode() if body is not None else None, headers=headers)
    SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    prepared = request.prepare()
    sent = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method=method)
    try:
        with urllib.request.urlopen(sent, timeout=30) as response:
            return {"status": response.status, "body": json.loads(response.read()), "signedToken": "X-Amz-Security-Token" in prepared.headers}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "body": json.loads(error.read()), "signedToken": "X-Amz-Security-Token" in prepared.headers}


def main():
    summary = {}
    admin_sts = boto3.Session(profile_name="admin").client("sts", endpoint_url=STS_URL, region_name=REGION)
    assumed = admin_sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="boto3", DurationSeconds=900)
    c = assumed["Credentials"]
    summary["assumed"] = {
        "arn": assumed["AssumedRoleUser"]["Arn"],
        "keyPrefix": c["AccessKeyId"][:4],
        "expiresInSeconds": round((c["Expiration"].timestamp() - __import__("time").time())),
    }
    session = boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                            aws_session_token=c["SessionToken"], region_name=REGION)
    summary["identity"] = session.client("sts", endpoint_url=STS_URL).get_caller_identity()["Arn"]
    credentials = session.get_credentials().get_frozen_credentials()
    summary["get"] = call(credentials, "GET", "/hello")
    summary["post"] = call(credentials, "POST", "/items", '{"message":"hi"}')

    try:
        boto3.Session(profile_name="viewer").client("sts", endpoint_url=STS_URL, region_name=REGION).assume_role(
            RoleArn=ROLE_ARN, RoleSessionName="eve")
        summary["denied"] = None
    except ClientError as error:
        summary["denied"] = {"code": error.response["Error"]["Code"], "message": error.response["Error"]["Message"],
                             "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}

    profile = boto3.Session(profile_name="deployer-local", region_name=REGION)
    summary["profile"] = {
        "identity": profile.client("sts").get_caller_identity()["Arn"],
        "get": call(profile.get_credentials().get_frozen_credentials(), "GET", "/hello"),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
