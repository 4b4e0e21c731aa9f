// An AWS CDK app as a user writes one: a VPC, an internet-facing Application Load Balancer with an HTTP
// listener, and an Auto Scaling group of instances behind it that scales on average CPU. `cdk synth`
// writes its CloudFormation template (cdk.out/WebService.template.json) with no network and no AWS
// credentials: the stack is environment-agnostic and looks nothing up. scaleout deploys that template
// unchanged (README.md, "Deploying a CDK app").
//
// Context (`cdk synth -c key=value`):
//   listenerPort  the listener's port (default 80; scaleout binds it on this machine)
//   appCommand    what each instance runs, as a shell command (default: scaleout's example app on this
//                 node: the instance's user data, which scaleout's process driver runs as /bin/sh -c)
import { fileURLToPath } from "node:url";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import { App, Duration, Stack, type StackProps } from "aws-cdk-lib/core";
import type { Construct } from "constructs";

const exampleApp = fileURLToPath(new URL("../../../app/server.js", import.meta.url));

interface WebServiceProps extends StackProps {
  listenerPort: number;
  appCommand: string;
}

class WebService extends Stack {
  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, "Vpc", { maxAzs: 2 });

    const userData = ec2.UserData.forLinux();
    userData.addCommands(props.appCommand);
    const fleet = new autoscaling.AutoScalingGroup(this, "Fleet", {
      vpc,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
      // An SSM parameter of the template (/aws/service/ami-amazon-linux-latest/...), resolved at deploy.
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      userData,
      minCapacity: 1,
      maxCapacity: 3,
    });
    fleet.scaleOnCpuUtilization("Cpu", { targetUtilizationPercent: 50 });

    const lb = new elbv2.ApplicationLoadBalancer(this, "LB", { vpc, internetFacing: true });
    const listener = lb.addListener("Http", {
      port: props.listenerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: true,
    });
    listener.addTargets("Fleet", {
      port: 80,
      targets: [fleet],
      healthCheck: { path: "/health", interval: Duration.seconds(5), healthyThresholdCount: 2 },
      deregistrationDelay: Duration.seconds(5),
    });
  }
}

// aws-cdk-lib's built-in CloudFormation validation (a WebAssembly rules engine) takes most of the CPU
// of a synth of this app, 3-4 s; the template is deployed to scaleout, which validates it on its own.
const app = new App({ builtinCloudFormationValidation: false });
const listenerPort = Number(app.node.tryGetContext("listenerPort") ?? 80);
if (!Number.isInteger(listenerPort) || listenerPort < 1 || listenerPort > 65535)
  throw new Error(`context listenerPort must be a port (1-65535), not ${listenerPort}`);
new WebService(app, "WebService", {
  listenerPort,
  appCommand: String(app.node.tryGetContext("appCommand") ?? `exec "${process.execPath}" "${exampleApp}"`),
  description: "A web service: VPC, Application Load Balancer, Auto Scaling group on CPU (AWS CDK)",
});
app.synth();
