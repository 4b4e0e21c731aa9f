import { CloudFormation } from "@scaleout/core";
import { operation } from "../operation.ts";
import { list, req, str, struct } from "../shapes.ts";
import {
  eventOut,
  iso,
  Stack,
  StackEvent,
  StackResourceSummary,
  StackSummary,
  stackOut,
} from "./cloudformation-stacks.ts";

/*
 * CloudFormation's listings on the door, each in pages of 100 with CloudFormation's NextToken (core
 * cloudformation/pages.ts; a token of another listing or stack is a ValidationError), and ListImports.
 */

const { cfnPage } = CloudFormation;

export const listingOperations = {
  DescribeStacks: operation({
    input: struct({ stackName: str, nextToken: str }),
    output: struct({ stacks: list(Stack), nextToken: str }),
    support: "implemented",
    notes: "Pages of 100 stacks",
    run: (input, { services }) => {
      const stacks =
        input.stackName === undefined
          ? services.cfnStacks.list().filter((s) => s.deletedAt === null && s.status !== "REVIEW_IN_PROGRESS")
          : [services.cfnStacks.get(input.stackName)];
      const page = cfnPage(stacks, input.nextToken, "DescribeStacks", (s) => s.stackId);
      return { stacks: page.items.map((s) => stackOut(services, s)), nextToken: page.nextToken };
    },
  }),

  ListStacks: operation({
    input: struct({ nextToken: str, stackStatusFilter: list(str) }),
    output: struct({ stackSummaries: list(StackSummary), nextToken: str }),
    support: "implemented",
    notes: "Pages of 100 stacks",
    run: (input, { services }) => {
      const filter = input.stackStatusFilter;
      const stacks = services.cfnStacks
        .list()
        .filter((s) => filter === undefined || filter.length === 0 || filter.includes(s.status));
      // The filter is part of the listing: a token walks the listing it came from.
      const listing = `ListStacks:${[...(filter ?? [])].sort().join(",")}`;
      const page = cfnPage(stacks, input.nextToken, listing, (s) => s.stackId);
      return {
        stackSummaries: page.items.map((s) => ({
          stackId: s.stackId,
          stackName: s.name,
          templateDescription: s.description ?? undefined,
          creationTime: iso(s.createdAt),
          lastUpdatedTime: iso(s.updatedAt),
          deletionTime: iso(s.deletedAt),
          stackStatus: s.status,
          stackStatusReason: s.statusReason ?? undefined,
          driftInformation: { stackDriftStatus: "NOT_CHECKED" },
        })),
        nextToken: page.nextToken,
      };
    },
  }),

  DescribeStackEvents: operation({
    input: struct({ stackName: req(str), nextToken: str }),
    output: struct({ stackEvents: list(StackEvent), nextToken: str }),
    support: "implemented",
    notes: "Pages of 100 events, newest first",
    run: (input, { services }) => {
      const stack = services.cfnStacks.get(input.stackName);
      const events = services.cfnStacks.events(stack.stackId);
      const page = cfnPage(events, input.nextToken, `DescribeStackEvents:${stack.stackId}`, (e) => e.eventId);
      return { stackEvents: page.items.map((e) => eventOut(stack, e)), nextToken: page.nextToken };
    },
  }),

  ListStackResources: operation({
    input: struct({ stackName: req(str), nextToken: str }),
    output: struct({ stackResourceSummaries: list(StackResourceSummary), nextToken: str }),
    support: "implemented",
    notes: "Pages of 100 resources",
    run: (input, { services }) => {
      const { stack, resources } = services.cfnStacks.resources(input.stackName);
      const page = cfnPage(
        resources,
        input.nextToken,
        `ListStackResources:${stack.stackId}`,
        (r) => r.logicalId,
      );
      return {
        stackResourceSummaries: page.items.map((r) => ({
          logicalResourceId: r.logicalId,
          physicalResourceId: r.physicalId ?? undefined,
          resourceType: r.type,
          lastUpdatedTimestamp: iso(r.updatedAt),
          resourceStatus: r.status,
          resourceStatusReason: r.statusReason ?? undefined,
          driftInformation: { stackResourceDriftStatus: "NOT_CHECKED" },
        })),
        nextToken: page.nextToken,
      };
    },
  }),

  ListExports: operation({
    input: struct({ nextToken: str }),
    output: struct({
      exports: list(struct({ exportingStackId: str, name: str, value: str })),
      nextToken: str,
    }),
    support: "implemented",
    notes: "Pages of 100 exports, by name",
    run: (input, { services }) => {
      const page = cfnPage(services.cfnStacks.exports(), input.nextToken, "ListExports", (e) => e.name);
      return {
        exports: page.items.map((e) => ({ exportingStackId: e.stackId, name: e.name, value: e.value })),
        nextToken: page.nextToken,
      };
    },
  }),

  ListImports: operation({
    input: struct({ exportName: req(str), nextToken: str }),
    output: struct({ imports: list(str), nextToken: str }),
    support: "implemented",
    notes: "Imports are read off the live stacks' templates (Fn::ImportValue); pages of 100 stack names",
    run: (input, { services }) => {
      const importers = services.cfnStacks.imports(input.exportName);
      const page = cfnPage(importers, input.nextToken, `ListImports:${input.exportName}`, (name) => name);
      return { imports: page.items, nextToken: page.nextToken };
    },
  }),
};
