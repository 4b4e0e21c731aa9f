import type { AwsService } from "./operation.ts";
import { awsServices, serviceModels } from "./registry.ts";

const protocols = (service: AwsService) =>
  [
    ...(service.wire === "ec2" ? ["EC2 query"] : service.wire === "query" ? ["query (XML)"] : []),
    ...(service.json ? [`JSON ${service.json.version}`] : []),
  ].join(", ");

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * docs/aws-compatibility.md: every operation of the five services' AWS models against the door's dispatch
 * table, so the document cannot say more (or less) than the code does.
 */
export function renderCompatibility(): string {
  const lines: string[] = [
    "# AWS API compatibility",
    "",
    "<!-- Generated from the AWS door's dispatch table (apps/api/src/aws/registry.ts) and the service models' operation",
    "     lists (apps/api/src/aws/operations/*.json) by `npx tsx apps/api/scripts/write-compatibility.ts`. Do not edit:",
    "     apps/api/test/aws/compatibility.test.ts fails when this file differs from what the code generates. -->",
    "",
    "scaleout answers the AWS CLI and SDKs on `POST /` of its api port (`http://127.0.0.1:7700` by default): point",
    "them at it with `--endpoint-url` or the SDK's `endpoint` option. The door is a second front door onto the same",
    "services as the REST API, so validation, idempotency, errors and states are the REST API's; only the wire",
    'format is AWS\'s (docs/aws-differences.md, "The AWS API door", lists what differs from AWS).',
    "",
    "- **Protocols.** The query protocol (form-encoded `Action` and `Version`, XML answers with `<XResult>`,",
    "  `ResponseMetadata` and `ErrorResponse`), EC2's query protocol, and, for CloudWatch, awsJson1_0",
    "  (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, errors with `x-amzn-query-error`), which current",
    "  AWS CLI, boto3 and SDK versions send; AWS Certificate Manager speaks awsJson1_1 alone",
    '  (`X-Amz-Target: CertificateManager.<Operation>`, errors as `{"__type": ..., "message": ...}`). The service',
    "  is told by `Version`, or by `X-Amz-Target`.",
    "- **Credentials and region.** Any access key and secret are accepted: Signature Version 4 is parsed, never",
    "  verified. The region of the credential scope appears in the ARNs of what the request creates. With",
    "  `SCALEOUT_API_TOKEN` set, the access key id must be the token (`InvalidClientTokenId`, 403, otherwise).",
    "- **Errors.** AWS's codes and HTTP statuses for each service: 400 for client errors (404 for CloudWatch's",
    "  `ResourceNotFound`), where the REST API answers 404 and 409. Unknown actions answer `InvalidAction`",
    "  (`UnknownOperationException` for an unknown JSON target).",
    "- **Pagination.** `Marker`/`PageSize` (ELB), `NextToken`/`MaxRecords` (Auto Scaling, CloudWatch),",
    "  `NextToken`/`MaxResults` (EC2) and `NextToken`/`MaxItems` (ACM); the SDKs' paginators work.",
    "",
    "## Launch templates: ImageId and UserData",
    "",
    "A launch template describes a container or a process, not a virtual machine:",
    "",
    "- `ImageId` is the container image (`nginx:1.27`, `scaleout/example:latest`). A template without one runs its",
    "  command as a local process (the process driver).",
    "- `UserData` (base64, at most 16 KB decoded) carries the rest. When the decoded text is a JSON object, its",
    "  members are the REST launch template's: `command` (a list of strings, or a string run as `/bin/sh -c`),",
    "  `environment` (an object of strings), `containerPort`, `cpu` (cores), `memoryMiB` and `networkMode`",
    "  (`host` or `bridge`). Any other text is a script: the instance runs `/bin/sh -c <user data>`.",
    "- Describes answer the same forms: a script for a template whose command is `/bin/sh -c <script>` and",
    "  nothing else, the JSON object otherwise. Other launch template data (instance type, key pair, security",
    "  groups, block devices) is accepted and ignored.",
    "",
    "```",
    'aws ec2 create-launch-template --launch-template-name app --launch-template-data \'{"ImageId":"scaleout/example:latest","UserData":"\'$(echo -n \'{"command":["node","/app/server.js"],"containerPort":8080}\' | base64 -w0)\'"}\'',
    "```",
    "",
    "## Summary",
    "",
    "| Service | API version | Protocols | Implemented | Partial | Not implemented |",
    "|---|---|---|---|---|---|",
  ];
  for (const service of awsServices) {
    const model = serviceModels[service.id];
    const ops = Object.values(service.operations);
    const implemented = ops.filter((o) => o.support === "implemented").length;
    const partial = ops.length - implemented;
    lines.push(
      `| ${service.title} | ${service.version} | ${protocols(service)} | ${implemented} | ${partial} | ${model.operations.length - ops.length} |`,
    );
  }
  for (const service of awsServices) {
    const model = serviceModels[service.id];
    lines.push(
      "",
      `## ${service.title} (${service.version})`,
      "",
      `${service.xmlns !== undefined ? `Namespace \`${service.xmlns}\`, s` : "S"}igning name \`${service.signingName}\`${service.json ? `, target prefix \`${service.json.targetPrefix}\`` : ""}, ${protocols(service)}. ${model.source}.`,
      "",
      "| Operation | Support | Notes |",
      "|---|---|---|",
    );
    const names = [...new Set([...model.operations, ...Object.keys(service.operations)])].sort();
    for (const name of names) {
      const operation = service.operations[name];
      const support = operation ? operation.support : "not implemented";
      lines.push(`| ${name} | ${support} | ${cell(operation?.notes ?? "")} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}
