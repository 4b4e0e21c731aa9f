import { Type } from "@sinclair/typebox";

/*
 * AWS WAF's shapes on the REST door, in WAF's own member names (PascalCase, as stored and as the SDKs
 * send them), so a body copied from `aws wafv2 get-web-acl` works here unchanged. Rule statements nest
 * without bound: their schema is an open object, and the services read them by the wafv2 model
 * (packages/core/src/waf/validation*.ts), the same reader the AWS door uses.
 */

const apiReference = "https://docs.aws.amazon.com/waf/latest/APIReference";

const open = (name: string, description: string) =>
  Type.Object(
    {},
    { additionalProperties: true, description: `${description} (${apiReference}/API_${name}.html)` },
  );

export const WafRule = open(
  "Rule",
  "A rule: Name, Priority, Statement, Action, VisibilityConfig, RuleLabels",
);
export const WafDefaultAction = open("DefaultAction", "Allow or Block (with an optional CustomResponse)");
export const WafVisibilityConfig = Type.Object(
  {
    SampledRequestsEnabled: Type.Boolean(),
    CloudWatchMetricsEnabled: Type.Boolean(),
    MetricName: Type.String({ minLength: 1, maxLength: 255 }),
  },
  { additionalProperties: false },
);
export const WafCustomResponseBodies = Type.Record(
  Type.String(),
  Type.Object({ ContentType: Type.String(), Content: Type.String() }),
  { description: "Bodies a Block action's CustomResponse names by key" },
);
export const WafTag = Type.Object(
  { Key: Type.String(), Value: Type.String() },
  { additionalProperties: false },
);
export const WafTags = Type.Array(WafTag);

const Name = Type.String({ minLength: 1, maxLength: 128, pattern: "^[\\w\\-]+$" });
const Description = Type.String({ minLength: 1, maxLength: 256 });
const LockToken = Type.String({ minLength: 1, maxLength: 36, description: "From the last read or change" });

export const WafIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 36, description: "The Id WAF gave" }),
});
export const WafPageQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: "Items per page (default 100)" }),
    ),
    nextMarker: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export const LockTokenQuery = Type.Object({ lockToken: LockToken }, { additionalProperties: false });

// ---- Web ACLs --------------------------------------------------------------------------------------------

const webAclDefinition = {
  Description: Type.Optional(Description),
  DefaultAction: WafDefaultAction,
  Rules: Type.Optional(Type.Array(WafRule)),
  VisibilityConfig: WafVisibilityConfig,
  CustomResponseBodies: Type.Optional(WafCustomResponseBodies),
};

export const CreateWebAclBody = Type.Object(
  { Name, ...webAclDefinition, Tags: Type.Optional(WafTags) },
  { additionalProperties: false },
);
export const UpdateWebAclBody = Type.Object(
  { ...webAclDefinition, LockToken },
  { additionalProperties: false },
);

export const WebAcl = Type.Object({
  Name: Type.String(),
  Id: Type.String(),
  ARN: Type.String(),
  Description: Type.Optional(Type.String()),
  DefaultAction: WafDefaultAction,
  Rules: Type.Array(WafRule),
  VisibilityConfig: WafVisibilityConfig,
  Capacity: Type.Integer({ description: "Web ACL capacity units the rules use" }),
  LabelNamespace: Type.String(),
  CustomResponseBodies: Type.Optional(WafCustomResponseBodies),
});
export const WebAclResponse = Type.Object({ WebACL: WebAcl, LockToken: Type.String() });

const Summary = Type.Object({
  Name: Type.String(),
  Id: Type.String(),
  Description: Type.Optional(Type.String()),
  LockToken: Type.String(),
  ARN: Type.String(),
});
export const WebAclPage = Type.Object({
  WebACLs: Type.Array(Summary),
  NextMarker: Type.Optional(Type.String()),
});
export const NextLockToken = Type.Object({ NextLockToken: Type.String() });

export const CheckCapacityBody = Type.Object({ Rules: Type.Array(WafRule) }, { additionalProperties: false });
export const CapacityResponse = Type.Object({ Capacity: Type.Integer() });

export const ResourceArns = Type.Object({ ResourceArns: Type.Array(Type.String()) });
export const AssociationBody = Type.Object(
  { WebACLArn: Type.String({ minLength: 20, maxLength: 2048 }) },
  { additionalProperties: false },
);
export const WebAclForResource = Type.Object({ WebACL: Type.Optional(WebAcl) });

// ---- IP sets ---------------------------------------------------------------------------------------------

const Addresses = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
  maxItems: 10_000,
  description: "CIDR blocks of the set's version (10.0.0.0/8, 2001:db8::/32)",
});

export const CreateIpSetBody = Type.Object(
  {
    Name,
    Description: Type.Optional(Description),
    IPAddressVersion: Type.Union([Type.Literal("IPV4"), Type.Literal("IPV6")]),
    Addresses,
    Tags: Type.Optional(WafTags),
  },
  { additionalProperties: false },
);
export const UpdateIpSetBody = Type.Object(
  { Description: Type.Optional(Description), Addresses, LockToken },
  { additionalProperties: false },
);
export const IpSet = Type.Object({
  Name: Type.String(),
  Id: Type.String(),
  ARN: Type.String(),
  Description: Type.Optional(Type.String()),
  IPAddressVersion: Type.String(),
  Addresses: Type.Array(Type.String()),
});
export const IpSetResponse = Type.Object({ IPSet: IpSet, LockToken: Type.String() });
export const IpSetPage = Type.Object({
  IPSets: Type.Array(Summary),
  NextMarker: Type.Optional(Type.String()),
});

// ---- Tags ------------------------------------------------------------------------------------------------

export const WafTagsBody = Type.Object({ Tags: WafTags }, { additionalProperties: false });
export const WafTagKeysQuery = Type.Object(
  { tagKeys: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1 }) },
  { additionalProperties: false },
);
export const WafTagsResponse = Type.Object({ TagList: WafTags, NextMarker: Type.Optional(Type.String()) });
