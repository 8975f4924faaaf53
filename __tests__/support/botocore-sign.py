#!/usr/bin/env python3
"""Signs one HTTP request with botocore's SigV4Auth, as AWS's documentation does, for the gateway tests.

Reads a JSON request description on stdin (the credentials come this way, never through argv):

    {"method": "GET", "url": "http://127.0.0.1:1234/items?a=1", "headers": {"content-type": "..."},
     "body": "..." or null, "region": "us-east-1", "service": "execute-api",
     "access_key": "AKIA...", "secret_key": "..."}

and prints the signed request's headers as one JSON object on stdout (X-Amz-Date, Authorization and
the headers given). botocore takes the host from the URL and signs it without adding a Host header;
the caller sends the request with exactly these headers. Nothing here prints the secret key.
"""
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_headers(spec):
    body = spec.get("body")
    request = AWSRequest(
        method=spec["method"],
        url=spec["url"],
        headers=dict(spec.get("headers") or {}),
        data=body.encode("utf-8") if body is not None else None,
    )
    credentials = Credentials(spec["access_key"], spec["secret_key"])
    SigV4Auth(credentials, spec["service"], spec["region"]).add_auth(request)
    return dict(request.headers.items())


def main():
    try:
        spec = json.load(sys.stdin)
        headers = signed_headers(spec)
    except Exception as error:  # noqa: BLE001 - report any failure without echoing the input
        sys.stderr.write(f"botocore-sign: {type(error).__name__}\n")
        return 1
    json.dump(headers, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
