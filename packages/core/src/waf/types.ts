/*
 * AWS WAF (wafv2, scope REGIONAL) as its JSON 1.1 wire carries it: field names are AWS's (PascalCase), so a
 * web ACL is stored, served on both doors and evaluated by the proxy in the one shape the SDKs send.
 * Only the statements scaleout evaluates are declared; validation (packages/core/src/waf/validation.ts)
 * refuses the others with WAFInvalidParameterException.
 */

export type WafScope = "REGIONAL" | "CLOUDFRONT";

export type TextTransformationType =
  | "NONE"
  | "COMPRESS_WHITE_SPACE"
  | "HTML_ENTITY_DECODE"
  | "LOWERCASE"
  | "CMD_LINE"
  | "URL_DECODE"
  | "BASE64_DECODE"
  | "HEX_DECODE"
  | "MD5"
  | "REPLACE_COMMENTS"
  | "ESCAPE_SEQ_DECODE"
  | "SQL_HEX_DECODE"
  | "CSS_DECODE"
  | "JS_DECODE"
  | "NORMALIZE_PATH"
  | "NORMALIZE_PATH_WIN"
  | "REMOVE_NULLS"
  | "REPLACE_NULLS"
  | "BASE64_DECODE_EXT"
  | "URL_DECODE_UNI"
  | "UTF8_TO_UNICODE";

export interface TextTransformation {
  Priority: number;
  Type: TextTransformationType;
}

export type OversizeHandling = "CONTINUE" | "MATCH" | "NO_MATCH";

/** Which part of a request a match statement inspects. Exactly one member is set. */
export interface FieldToMatch {
  SingleHeader?: { Name: string };
  SingleQueryArgument?: { Name: string };
  AllQueryArguments?: Record<string, never>;
  UriPath?: Record<string, never>;
  QueryString?: Record<string, never>;
  Body?: { OversizeHandling?: OversizeHandling };
  Method?: Record<string, never>;
}

export type PositionalConstraint = "EXACTLY" | "STARTS_WITH" | "ENDS_WITH" | "CONTAINS" | "CONTAINS_WORD";

export interface ByteMatchStatement {
  /** The bytes to look for, base64 as on the wire (a blob: the SDKs encode a Uint8Array); decoded when compiled. */
  SearchString: string;
  FieldToMatch: FieldToMatch;
  TextTransformations: TextTransformation[];
  PositionalConstraint: PositionalConstraint;
}

export type SizeComparisonOperator = "EQ" | "NE" | "LE" | "LT" | "GE" | "GT";

export interface SizeConstraintStatement {
  FieldToMatch: FieldToMatch;
  ComparisonOperator: SizeComparisonOperator;
  Size: number;
  TextTransformations: TextTransformation[];
}

export interface RegexMatchStatement {
  RegexString: string;
  FieldToMatch: FieldToMatch;
  TextTransformations: TextTransformation[];
}

export type FallbackBehavior = "MATCH" | "NO_MATCH";

export interface ForwardedIPConfig {
  HeaderName: string;
  FallbackBehavior: FallbackBehavior;
}

export interface IPSetReferenceStatement {
  ARN: string;
  IPSetForwardedIPConfig?: ForwardedIPConfig & { Position: "FIRST" | "LAST" | "ANY" };
}

export interface LabelMatchStatement {
  Scope: "LABEL" | "NAMESPACE";
  Key: string;
}

/** One part of a CUSTOM_KEYS aggregation key. Exactly one member is set. */
export interface RateBasedStatementCustomKey {
  Header?: { Name: string; TextTransformations: TextTransformation[] };
  QueryArgument?: { Name: string; TextTransformations: TextTransformation[] };
  QueryString?: { TextTransformations: TextTransformation[] };
  UriPath?: { TextTransformations: TextTransformation[] };
  HTTPMethod?: Record<string, never>;
  ForwardedIP?: Record<string, never>;
  IP?: Record<string, never>;
  LabelNamespace?: { Namespace: string };
}

export type AggregateKeyType = "IP" | "FORWARDED_IP" | "CONSTANT" | "CUSTOM_KEYS";

export interface RateBasedStatement {
  Limit: number;
  /** 60, 120, 300 or 600 seconds on AWS (default 300); fast mode allows shorter windows. */
  EvaluationWindowSec?: number;
  AggregateKeyType: AggregateKeyType;
  ScopeDownStatement?: Statement;
  ForwardedIPConfig?: ForwardedIPConfig;
  CustomKeys?: RateBasedStatementCustomKey[];
}

/** A rule's statement. Exactly one member is set. */
export interface Statement {
  ByteMatchStatement?: ByteMatchStatement;
  SizeConstraintStatement?: SizeConstraintStatement;
  RegexMatchStatement?: RegexMatchStatement;
  IPSetReferenceStatement?: IPSetReferenceStatement;
  LabelMatchStatement?: LabelMatchStatement;
  RateBasedStatement?: RateBasedStatement;
  AndStatement?: { Statements: Statement[] };
  OrStatement?: { Statements: Statement[] };
  NotStatement?: { Statement: Statement };
}

export interface CustomHTTPHeader {
  Name: string;
  Value: string;
}

export interface CustomResponse {
  ResponseCode: number;
  /** A key of the web ACL's CustomResponseBodies. */
  CustomResponseBodyKey?: string;
  ResponseHeaders?: CustomHTTPHeader[];
}

export interface CustomRequestHandling {
  InsertHeaders: CustomHTTPHeader[];
}

export interface RuleAction {
  Block?: { CustomResponse?: CustomResponse };
  Allow?: { CustomRequestHandling?: CustomRequestHandling };
  Count?: { CustomRequestHandling?: CustomRequestHandling };
}

export interface VisibilityConfig {
  SampledRequestsEnabled: boolean;
  CloudWatchMetricsEnabled: boolean;
  MetricName: string;
}

export interface WafRule {
  Name: string;
  Priority: number;
  Statement: Statement;
  Action?: RuleAction;
  RuleLabels?: Array<{ Name: string }>;
  VisibilityConfig: VisibilityConfig;
}

export interface CustomResponseBody {
  ContentType: "TEXT_PLAIN" | "TEXT_HTML" | "APPLICATION_JSON";
  Content: string;
}

export interface DefaultAction {
  Block?: { CustomResponse?: CustomResponse };
  Allow?: { CustomRequestHandling?: CustomRequestHandling };
}

/** A web ACL as stored and as the data plane receives it (IP sets resolved separately by ARN). */
export interface WebAcl {
  Name: string;
  Id: string;
  ARN: string;
  Description?: string;
  DefaultAction: DefaultAction;
  Rules: WafRule[];
  VisibilityConfig: VisibilityConfig;
  Capacity: number;
  LabelNamespace: string;
  CustomResponseBodies?: Record<string, CustomResponseBody>;
}

export interface IpSet {
  Name: string;
  Id: string;
  ARN: string;
  Description?: string;
  IPAddressVersion: "IPV4" | "IPV6";
  /** CIDR blocks, as given (normalised: 10.0.0.1/32). */
  Addresses: string[];
}

/**
 * One sampled request in GetSampledRequests' shape (SampledHTTPRequest), Timestamp in epoch seconds: what
 * the proxy records and the api answers.
 */
export interface WafSampledRequest {
  Request: {
    ClientIP: string;
    Country: string;
    URI: string;
    Method: string;
    HTTPVersion: string;
    Headers: Array<{ Name: string; Value: string }>;
  };
  Weight: number;
  Timestamp: number;
  Action: string;
  RuleNameWithinRuleGroup?: string;
  RequestHeadersInserted?: Array<{ Name: string; Value: string }>;
  ResponseCodeSent?: number;
  Labels?: Array<{ Name: string }>;
}
