/**
 * Test support: changes made "outside Terraform", straight through moto's IAM API with boto3,
 * as someone with console access would make them. Used to check that `npm run plan` reports drift.
 */
import { spawnSync } from 'node:child_process';
import { tail, testAwsEnv } from './terraform-offline';

const ADD_RESOURCE_SCRIPT = `
import json, sys, boto3
a = json.loads(sys.argv[1])
iam = boto3.client("iam", endpoint_url=a["endpoint"], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
name = iam.list_user_policies(UserName=a["user"])["PolicyNames"][0]
doc = iam.get_user_policy(UserName=a["user"], PolicyName=name)["PolicyDocument"]
doc = json.loads(doc) if isinstance(doc, str) else doc
stmt = doc["Statement"][0]
res = stmt["Resource"] if isinstance(stmt["Resource"], list) else [stmt["Resource"]]
stmt["Resource"] = res + [r.replace(a["from"], a["to"]) for r in res if a["from"] in r]
iam.put_user_policy(UserName=a["user"], PolicyName=name, PolicyDocument=json.dumps(doc))
print(json.dumps(stmt["Resource"]))
`;

/**
 * Edits an IAM user's (first) inline policy in moto: every Resource containing `from` is
 * copied with `from` replaced by `to` (e.g. "/GET/" → "/POST/" gives POST where GET was).
 * Returns the statement's resources afterwards.
 */
export function widenUserPolicyOutOfBand(args: { endpoint: string; user: string; from: string; to: string }): string[] {
  const res = spawnSync('python3', ['-c', ADD_RESOURCE_SCRIPT, JSON.stringify(args)], { encoding: 'utf8', timeout: 60_000, env: testAwsEnv() });
  if (res.status !== 0) throw new Error(`boto3 put_user_policy failed (${String(res.status)}): ${tail(res.stderr, 20)}`);
  return JSON.parse(res.stdout) as string[];
}
