// What an instance runs to signal its CloudFormation resource when the AWS CLI is not installed: the
// request `aws cloudformation signal-resource` (or cfn-signal) makes, through the SDK, with the instance
// id from its own metadata service (IMDSv2) as UniqueId. Usage: cfn-signal.mjs <stack> <logical id> [status]
import { CloudFormationClient, SignalResourceCommand } from "@aws-sdk/client-cloudformation";

const [stackName, logicalId, status = "SUCCESS"] = process.argv.slice(2);
const imds = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? "";
const token = await (
  await fetch(`${imds}latest/api/token`, {
    method: "PUT",
    headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" },
  })
).text();
const instanceId = await (
  await fetch(`${imds}latest/meta-data/instance-id`, { headers: { "x-aws-ec2-metadata-token": token } })
).text();
const client = new CloudFormationClient({ endpoint: process.env.AWS_ENDPOINT_URL, maxAttempts: 1 });
await client.send(
  new SignalResourceCommand({
    StackName: stackName,
    LogicalResourceId: logicalId,
    UniqueId: instanceId,
    Status: status,
  }),
);
