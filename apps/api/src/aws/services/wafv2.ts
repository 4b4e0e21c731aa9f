import { type AwsError, WafError } from "@scaleout/core";
import { type AwsService, operation } from "../operation.ts";
import { doc, struct } from "../shapes.ts";
import { wafv2InputErrors } from "./wafv2-errors.ts";
import { wafv2SampledOperations } from "./wafv2-sampled.ts";

/*
 * AWS WAF (wafv2 2019-07-29) on the AWS door: awsJson1_1, `X-Amz-Target: AWSWAF_20190729.<Operation>`.
 * Members are declared by their AWS names and taken as the JSON gave them (`doc`): rule statements nest
 * without bound, and the services read every member as hostile input with the wafv2 model's constraints
 * (packages/core/src/waf/read.ts), so both doors check the same way.
 */

const operations = {
  CreateWebACL: operation({
    input: struct({
      Name: doc,
      Scope: doc,
      DefaultAction: doc,
      Description: doc,
      Rules: doc,
      VisibilityConfig: doc,
      DataProtectionConfig: doc,
      Tags: doc,
      CustomResponseBodies: doc,
      CaptchaConfig: doc,
      ChallengeConfig: doc,
      TokenDomains: doc,
      AssociationConfig: doc,
      OnSourceDDoSProtectionConfig: doc,
      ApplicationConfig: doc,
      MonetizationConfig: doc,
    }),
    output: struct({ Summary: doc }),
    support: "partial",
    notes:
      "Scope REGIONAL. Statements: ByteMatch, SizeConstraint, RegexMatch, IPSetReference, LabelMatch, RateBased, And, Or, Not; actions Allow, Block, Count. Other statements, CAPTCHA/Challenge, data protection and token domains are refused with WAFInvalidParameterException.",
    run: (input, { services }) => services.webAcls.create(input),
  }),

  GetWebACL: operation({
    input: struct({ Name: doc, Scope: doc, Id: doc, ARN: doc }),
    output: struct({ WebACL: doc, LockToken: doc }),
    support: "implemented",
    run: (input, { services }) => services.webAcls.get(input),
  }),

  ListWebACLs: operation({
    input: struct({ Scope: doc, NextMarker: doc, Limit: doc }),
    output: struct({ NextMarker: doc, WebACLs: doc }),
    support: "implemented",
    run: (input, { services }) => services.webAcls.list(input),
  }),

  UpdateWebACL: operation({
    input: struct({
      Name: doc,
      Scope: doc,
      Id: doc,
      DefaultAction: doc,
      Description: doc,
      Rules: doc,
      VisibilityConfig: doc,
      DataProtectionConfig: doc,
      LockToken: doc,
      CustomResponseBodies: doc,
      CaptchaConfig: doc,
      ChallengeConfig: doc,
      TokenDomains: doc,
      AssociationConfig: doc,
      OnSourceDDoSProtectionConfig: doc,
      ApplicationConfig: doc,
      MonetizationConfig: doc,
    }),
    output: struct({ NextLockToken: doc }),
    support: "partial",
    notes: "As CreateWebACL; WAFOptimisticLockException on a stale LockToken.",
    run: (input, { services }) => services.webAcls.update(input),
  }),

  DeleteWebACL: operation({
    input: struct({ Name: doc, Scope: doc, Id: doc, LockToken: doc }),
    output: undefined,
    support: "implemented",
    notes: "WAFAssociatedItemException while a load balancer is associated.",
    run: (input, { services }) => {
      services.webAcls.delete(input);
      return undefined;
    },
  }),

  AssociateWebACL: operation({
    input: struct({ WebACLArn: doc, ResourceArn: doc }),
    output: undefined,
    support: "partial",
    notes: "Application Load Balancers only (the resources scaleout has).",
    run: (input, { services }) => {
      services.webAclAssociations.associate(input);
      return undefined;
    },
  }),

  DisassociateWebACL: operation({
    input: struct({ ResourceArn: doc }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.webAclAssociations.disassociate(input);
      return undefined;
    },
  }),

  GetWebACLForResource: operation({
    input: struct({ ResourceArn: doc }),
    output: struct({ WebACL: doc }),
    support: "implemented",
    run: (input, { services }) => services.webAclAssociations.forResource(input),
  }),

  ListResourcesForWebACL: operation({
    input: struct({ WebACLArn: doc, ResourceType: doc }),
    output: struct({ ResourceArns: doc }),
    support: "implemented",
    notes: "ResourceType APPLICATION_LOAD_BALANCER (the default); other types have nothing associated.",
    run: (input, { services }) => services.webAclAssociations.listResources(input),
  }),

  CreateIPSet: operation({
    input: struct({
      Name: doc,
      Scope: doc,
      Description: doc,
      IPAddressVersion: doc,
      Addresses: doc,
      Tags: doc,
    }),
    output: struct({ Summary: doc }),
    support: "implemented",
    notes: "Addresses are normalised (IPv6 in canonical form, duplicates once).",
    run: (input, { services }) => services.ipSets.create(input),
  }),

  GetIPSet: operation({
    input: struct({ Name: doc, Scope: doc, Id: doc }),
    output: struct({ IPSet: doc, LockToken: doc }),
    support: "implemented",
    run: (input, { services }) => services.ipSets.get(input),
  }),

  ListIPSets: operation({
    input: struct({ Scope: doc, NextMarker: doc, Limit: doc }),
    output: struct({ NextMarker: doc, IPSets: doc }),
    support: "implemented",
    run: (input, { services }) => services.ipSets.list(input),
  }),

  UpdateIPSet: operation({
    input: struct({ Name: doc, Scope: doc, Id: doc, Description: doc, Addresses: doc, LockToken: doc }),
    output: struct({ NextLockToken: doc }),
    support: "implemented",
    run: (input, { services }) => services.ipSets.update(input),
  }),

  DeleteIPSet: operation({
    input: struct({ Name: doc, Scope: doc, Id: doc, LockToken: doc }),
    output: undefined,
    support: "implemented",
    notes: "WAFAssociatedItemException while a web ACL's rule references it.",
    run: (input, { services }) => {
      services.ipSets.delete(input);
      return undefined;
    },
  }),

  CheckCapacity: operation({
    input: struct({ Scope: doc, Rules: doc }),
    output: struct({ Capacity: doc }),
    support: "implemented",
    notes: "WCUs priced per statement as the WAF developer guide documents them.",
    run: (input, { services }) => services.webAcls.checkCapacity(input),
  }),

  TagResource: operation({
    input: struct({ ResourceARN: doc, Tags: doc }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.wafTags.tag(input);
      return undefined;
    },
  }),

  UntagResource: operation({
    input: struct({ ResourceARN: doc, TagKeys: doc }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.wafTags.untag(input);
      return undefined;
    },
  }),

  ListTagsForResource: operation({
    input: struct({ NextMarker: doc, Limit: doc, ResourceARN: doc }),
    output: struct({ NextMarker: doc, TagInfoForResource: doc }),
    support: "implemented",
    run: (input, { services }) => services.wafTags.list(input),
  }),

  ...wafv2SampledOperations,
};

export const wafv2: AwsService = {
  id: "wafv2",
  title: "AWS WAF",
  version: "2019-07-29",
  signingName: "wafv2",
  wire: "json",
  json: { version: "1.1", targetPrefix: "AWSWAF_20190729", queryCompatible: false },
  operations,
  inputErrors: wafv2InputErrors,
  // WAF answers 400 for every client error, the REST API's 404 and 409 included; an invalid parameter
  // also carries Field, Parameter and Reason.
  translate: (error: AwsError) => ({
    code: error.code,
    status: error.statusCode >= 500 ? error.statusCode : 400,
    message: error.message,
    ...(error instanceof WafError &&
      Object.keys(error.details).length > 0 && { fields: { ...error.details } }),
  }),
};
