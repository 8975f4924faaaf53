/**
 * data.aws_iam_policy_document rendered as the AWS provider 5.100.0 renders it. The expected
 * strings are the provider's own output: each case was run through `terraform apply` with
 * hashicorp/aws 5.100.0 (the version this project pins) and its `json` / `minified_json`
 * copied here verbatim.
 */
import { Testing } from 'cdktf';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import {
  PolicyDocumentDataError,
  readPolicyDocumentData,
  renderPolicyDocument,
  type PolicyDocumentArguments,
} from '../../src/gateway/policy-document-data';

describe('renderPolicyDocument renders as the provider does', () => {
  it('statement blocks: sets deduplicated and sorted in reverse, one element as a string, &{ as ${, conditions merged by test and variable', () => {
    const args: PolicyDocumentArguments = {
      statements: [
        {
          actions: ['b:x', 'a:y', 'c:z', 'a:y'],
          // The second as Terraform passes `$${aws:username}`, once its template is evaluated.
          resources: ['arn:x/&{aws:username}', 'arn:a/${aws:username}'],
          conditions: [
            { test: 'StringEquals', variable: 'aws:username', values: ['&{aws:username}'] },
            { test: 'StringEquals', variable: 'aws:username', values: ['two'] },
            { test: 'StringEquals', variable: 'a:b', values: ['1', '2'] },
            { test: 'Bool', variable: 'aws:SecureTransport', values: ['true'] },
          ],
        },
        { sid: 'S2', effect: 'Deny', notActions: ['x:y'], notResources: ['*'] },
      ],
    };
    const rendered = renderPolicyDocument(args);
    expect(rendered.json).toBe('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": [\n        "c:z",\n        "b:x",\n        "a:y"\n      ],\n      "Resource": [\n        "arn:x/${aws:username}",\n        "arn:a/${aws:username}"\n      ],\n      "Condition": {\n        "Bool": {\n          "aws:SecureTransport": "true"\n        },\n        "StringEquals": {\n          "a:b": [\n            "1",\n            "2"\n          ],\n          "aws:username": [\n            "${aws:username}",\n            "two"\n          ]\n        }\n      }\n    },\n    {\n      "Sid": "S2",\n      "Effect": "Deny",\n      "NotAction": "x:y",\n      "NotResource": "*"\n    }\n  ]\n}');
    expect(rendered.minifiedJson).toBe('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["c:z","b:x","a:y"],"Resource":["arn:x/${aws:username}","arn:a/${aws:username}"],"Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"a:b":["1","2"],"aws:username":["${aws:username}","two"]}}},{"Sid":"S2","Effect":"Deny","NotAction":"x:y","NotResource":"*"}]}');
  });

  it('source, own and override documents merged by Sid; policy_id and the greater Version win; source fields read as Go reads them', () => {
    const rendered = renderPolicyDocument({
      sourcePolicyDocuments: ['{"Version":"2008-10-17","Id":"src","Statement":[{"Sid":"S2","Effect":"Allow","Action":["q:1","a:2"],"Resource":"*","Condition":{"Bool":{"x:y":true},"StringLike":{"k":["v"], "n": 5}},"Principal":{"AWS":["a","b"]}},{"Effect":"Allow","Action":"s:1","Resource":"*","Unknown":1}]}'],
      overridePolicyDocuments: ['{"statement":[{"sid":"S2","effect":"Deny","action":"over:ride","resource":[]}]}'],
      policyId: 'mine',
      statements: [{ sid: 'S3', actions: ['one:a'], resources: ['*'] }],
    });
    expect(rendered.json).toBe('{\n  "Version": "2012-10-17",\n  "Id": "mine",\n  "Statement": [\n    {\n      "Sid": "S2",\n      "Effect": "Deny",\n      "Action": "over:ride",\n      "Resource": []\n    },\n    {\n      "Effect": "Allow",\n      "Action": "s:1",\n      "Resource": "*"\n    },\n    {\n      "Sid": "S3",\n      "Effect": "Allow",\n      "Action": "one:a",\n      "Resource": "*"\n    }\n  ]\n}');
  });

  it('a source document: empty Sid and missing Effect omitted, booleans as strings, numbers and null dropped, principals normalized', () => {
    const source = {
      Statement: [
        { Sid: '', Action: [], Resource: '*', Principal: { AWS: ['a', 'c', 'b'], Service: 'x' }, Condition: { Bool: { 'x:y': true }, StringLike: { k: ['v'], n: 5, m: null } } },
        { Action: 'a', Principal: 'anything' },
        { Action: 'a', Principal: { '*': '*' } },
        { Action: 'a', Principal: { '*': ['*'] } },
        { Action: 'a', Principal: { AWS: '*' } },
        { Action: 'a', NotPrincipal: { AWS: [] } },
      ],
    };
    expect(renderPolicyDocument({ sourcePolicyDocuments: [JSON.stringify(source)] }).minifiedJson)
      .toBe('{"Version":"2012-10-17","Statement":[{"Action":[],"Resource":"*","Principal":{"AWS":["c","b","a"],"Service":"x"},"Condition":{"Bool":{"x:y":"true"},"StringLike":{"k":"v"}}},{"Action":"a","Principal":"*"},{"Action":"a","Principal":"*"},{"Action":"a","Principal":"*"},{"Action":"a","Principal":{"AWS":"*"}},{"Action":"a","NotPrincipal":{"AWS":[]}}]}');
  });

  it('no statements: Statement omitted; the version alone', () => {
    expect(renderPolicyDocument({}).json).toBe('{\n  "Version": "2012-10-17"\n}');
    expect(renderPolicyDocument({ sourcePolicyDocuments: ['{"Statement": null}', '{}', '{"Version": "2008-10-17"}'], version: '2008-10-17' }).minifiedJson)
      .toBe('{"Version":"2008-10-17"}');
  });

  it('an override document replaces by Sid, each of its statements in turn', () => {
    expect(renderPolicyDocument({
      overridePolicyDocuments: ['{"Id": "o", "Statement": [{"Sid": "A", "Action": "x"}, {"Sid": "A", "Action": "y"}]}'],
      statements: [{ sid: 'A', actions: ['z'] }],
    }).minifiedJson).toBe('{"Version":"2012-10-17","Id":"o","Statement":[{"Sid":"A","Action":"y"}]}');
  });

  it('escapes <, > and & as Go does; keeps an empty condition value list', () => {
    expect(renderPolicyDocument({ statements: [{ actions: ['a:b'], resources: ['<&>'], conditions: [{ test: 'StringLike', variable: 'x', values: [] }] }] }).minifiedJson)
      .toBe('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"\\u003c\\u0026\\u003e","Condition":{"StringLike":{"x":[]}}}]}');
  });

  it('concatenates repeated test and variable values in the order written (the provider: its set order; the same values, ORed)', () => {
    const rendered = renderPolicyDocument({
      statements: [{
        actions: ['a:b'],
        conditions: [
          { test: 'StringLike', variable: 'v', values: ['z'] },
          { test: 'StringLike', variable: 'v', values: ['a', 'm'] },
          { test: 'StringLike', variable: 'v', values: ['b'] },
          { test: 'StringLike', variable: 'v', values: ['b'] },
        ],
      }],
    });
    // hashicorp/aws 5.100.0 wrote ["b","a","m","z"] for this (hash order of the set).
    expect(JSON.parse(rendered.minifiedJson).Statement[0].Condition).toEqual({ StringLike: { v: ['z', 'a', 'm', 'b'] } });
  });

  describe('refuses what the provider refuses, with its words', () => {
    const refusal = (args: PolicyDocumentArguments): PolicyDocumentDataError => {
      try {
        renderPolicyDocument(args);
      } catch (error) {
        if (error instanceof PolicyDocumentDataError) return error;
        throw error;
      }
      throw new Error('rendered');
    };

    it('a Sid twice across source documents', () => {
      expect(refusal({ sourcePolicyDocuments: ['{"Statement": [{"Sid": "A", "Action": "x"}, {"Sid": "A", "Action": "y"}]}'] }))
        .toEqual(new PolicyDocumentDataError('source_policy_documents[0]', 'has a duplicate Sid (A) (statement 1). Remove the Sid or ensure Sids are unique.'));
    });

    it('a Sid twice in the statement blocks', () => {
      expect(refusal({ statements: [{ sid: 'A' }, { sid: 'A' }] }).message)
        .toBe('statement[1].sid is a duplicate Sid (A). Remove the Sid or ensure the Sid is unique.');
    });

    it('&{ in a 2008-10-17 document', () => {
      expect(refusal({ version: '2008-10-17', statements: [{ resources: ['arn:x/&{aws:username}'] }] }).message)
        .toBe('statement[0].resources contains the &{ sequence in (arn:x/&{aws:username}), which is not supported in document version 2008-10-17');
    });

    it('an effect other than Allow or Deny, a version it does not know, a source that is not JSON', () => {
      expect(refusal({ statements: [{ effect: 'allow' }] }).message).toBe('statement[0].effect is "allow"; expected Allow or Deny');
      expect(refusal({ version: '2012-10-18' }).message).toBe('version is "2012-10-18"; expected 2008-10-17 or 2012-10-17');
      expect(refusal({ overridePolicyDocuments: ['{'] }).message).toMatch(/^override_policy_documents\[0\] is not valid JSON: /);
      expect(refusal({ sourcePolicyDocuments: ['{"Statement": {"Effect": "Allow"}}'] }).message).toBe('source_policy_documents[0] cannot be merged: Statement is not a list');
    });
  });
});

describe('readPolicyDocumentData reads the block cdktf synthesizes', () => {
  const synthesized = (config: ConstructorParameters<typeof DataAwsIamPolicyDocument>[2]): Record<string, unknown> => {
    const json = JSON.parse(Testing.synthScope((scope) => { new DataAwsIamPolicyDocument(scope, 'doc', config); }));
    return json.data.aws_iam_policy_document.doc;
  };
  const resolve = (value: unknown): string => String(value).replace(/\$\$\{/g, '${');

  it('every argument, strings through the resolver', () => {
    const block = synthesized({
      version: '2012-10-17',
      policyId: 'p',
      sourcePolicyDocuments: ['{}'],
      overridePolicyDocuments: ['{"Statement": []}'],
      statement: [{
        sid: 'S',
        effect: 'Deny',
        actions: ['execute-api:Invoke'],
        notActions: ['x:y'],
        resources: ['arn:aws:execute-api:*:*:*/$${aws:username}'],
        notResources: ['n'],
        condition: [{ test: 'StringEquals', variable: 'aws:PrincipalTag/team', values: ['a', 'b'] }],
      }],
    });
    expect(readPolicyDocumentData(block, resolve)).toEqual({
      version: '2012-10-17',
      policyId: 'p',
      sourcePolicyDocuments: ['{}'],
      overridePolicyDocuments: ['{"Statement": []}'],
      statements: [{
        sid: 'S',
        effect: 'Deny',
        actions: ['execute-api:Invoke'],
        notActions: ['x:y'],
        resources: ['arn:aws:execute-api:*:*:*/${aws:username}'],
        notResources: ['n'],
        conditions: [{ test: 'StringEquals', variable: 'aws:PrincipalTag/team', values: ['a', 'b'] }],
      }],
    });
  });

  it('refuses principals: the gateway uses the document as an identity-based policy', () => {
    const block = synthesized({ statement: [{ actions: ['s3:GetObject'], principals: [{ type: 'AWS', identifiers: ['*'] }] }] });
    expect(() => readPolicyDocumentData(block, resolve)).toThrow(new PolicyDocumentDataError(
      'statement[0].principals',
      "is set, but the local gateway reads this document as a user's or group's policy, and an identity-based policy has no Principal",
    ));
  });
});
