import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import {
  Activity,
  AutoScalingGroup,
  Instance,
  LaunchTemplate,
  ScalingPolicy,
} from "../schemas/auto-scaling.ts";
import { MetricAlarm } from "../schemas/cloudwatch.ts";
import { ErrorResponse } from "../schemas/common.ts";
import { Action, Condition, Listener, LoadBalancer, Rule, TargetGroup } from "../schemas/elb.ts";

export const apiVersion = "0.1.0";

/** The OpenAPI document is generated from the route schemas; openapi.yaml is its committed copy. */
export const openapiPlugin = fp(async (app: FastifyInstance) => {
  for (const schema of [
    ErrorResponse,
    Action,
    Condition,
    LoadBalancer,
    Listener,
    Rule,
    TargetGroup,
    LaunchTemplate,
    AutoScalingGroup,
    Instance,
    Activity,
    ScalingPolicy,
    MetricAlarm,
  ]) {
    app.addSchema(schema);
  }
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "scaleout",
        version: apiVersion,
        description:
          "A local emulation of AWS Application and Network Load Balancers, EC2 Auto Scaling and CloudWatch alarms. Field names are AWS's member names in camelCase; errors are `{ code, message }` with AWS's codes.",
      },
      servers: [{ url: "http://127.0.0.1:7700" }],
      tags: [
        { name: "System" },
        { name: "Load balancers" },
        { name: "Listeners" },
        { name: "Rules" },
        { name: "Target groups" },
        { name: "Launch templates" },
        { name: "Auto Scaling groups" },
        { name: "Scaling policies" },
        { name: "Alarms" },
        { name: "Metrics" },
      ],
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", description: "Only when SCALEOUT_API_TOKEN is set" },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === "string" ? json.$id : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
});
