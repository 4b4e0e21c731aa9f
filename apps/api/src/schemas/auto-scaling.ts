// An Auto Scaling group's, launch template's, policy's and activity's shapes are the services' own
// declarations: the routes use them as they are, and the AWS door derives its wire shapes from them.
export {
  Activity,
  AutoScalingGroup,
  CreateGroup,
  CreateLaunchTemplate,
  ExecutePolicy,
  Instance,
  LaunchTemplateFields,
  LaunchTemplateView as LaunchTemplate,
  PolicyExecution,
  PutPolicy,
  ScalingPolicy,
  UpdateGroup,
} from "@scaleout/services";
