/** IAM policies written as jsonencode({...}) in the exported HCL. */
import { hclExpression, jsonencodeExpression, policyDocument } from '../../src/hcl/jsonencode';

describe('policyDocument', () => {
  it('takes *policy attributes holding a JSON object with Statement', () => {
    expect(policyDocument('policy', '{"Statement":[]}')).toEqual({ Statement: [] });
    expect(policyDocument('assume_role_policy', '{"Version":"2012-10-17","Statement":[]}')).toEqual({ Version: '2012-10-17', Statement: [] });
  });

  it('leaves other attributes, other JSON, and templates that are not JSON as strings', () => {
    expect(policyDocument('description', '{"Statement":[]}')).toBeUndefined();
    expect(policyDocument('policy', '{"Version":"2012-10-17"}')).toBeUndefined();
    expect(policyDocument('policy', '${data.aws_iam_policy_document.x.json}')).toBeUndefined();
    expect(policyDocument('policy', '{"Statement":[{"Resource":"${lookup(var.m, "k")}"}]}')).toBeUndefined();
  });
});

describe('hclExpression', () => {
  it('writes objects with bare or quoted keys, lists with trailing commas, templates kept', () => {
    expect(hclExpression({ Effect: 'Allow', 'aws:SourceArn': '${x.y.arn}/*', n: 1, ok: true, none: null, l: [] }, '')).toBe(
      ['{', '  Effect = "Allow"', '  "aws:SourceArn" = "${x.y.arn}/*"', '  n = 1', '  ok = true', '  none = null', '  l = []', '}'].join('\n'),
    );
    expect(jsonencodeExpression({ Statement: [{ Action: 'a"b' }] }, '  ')).toBe(
      ['jsonencode({', '    Statement = [', '      {', '        Action = "a\\"b"', '      },', '    ]', '  })'].join('\n'),
    );
  });
});
