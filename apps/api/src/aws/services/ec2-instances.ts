import { AwsError } from "@scaleout/core";
import { operation } from "../operation.ts";
import { bool, int, list, opt, str, struct, ts } from "../shapes.ts";

/*
 * EC2's DescribeInstances and DescribeInstanceStatus for the instances of Auto Scaling groups (botocore
 * ec2 2016-11-15): what a script needs to find an instance's address. Each instance is its own
 * reservation. The members are EC2's (no `port`: the port is the instance's `scaleout:port` tag).
 */

const Tag = struct({ key: str, value: str });
const Filter = struct({ name: str, values: opt(list(str), { query: "Value" }) });
const State = struct({ code: int, name: str });

const Instance = struct({
  instanceId: str,
  imageId: str,
  instanceType: str,
  state: opt(State, { xml: "instanceState" }),
  privateIpAddress: str,
  privateDnsName: str,
  placement: struct({ availabilityZone: str, tenancy: str }),
  launchTime: ts,
  tags: opt(list(Tag), { xml: "tagSet" }),
});

const Reservation = struct({
  reservationId: str,
  ownerId: str,
  instances: opt(list(Instance), { xml: "instancesSet" }),
});

const StatusSummary = struct({ status: str, details: list(struct({ name: str, status: str })) });

const InstanceStatus = struct({
  instanceId: str,
  availabilityZone: str,
  instanceState: State,
  instanceStatus: StatusSummary,
  systemStatus: StatusSummary,
});

const query = {
  dryRun: bool,
  instanceIds: opt(list(str), { query: "InstanceId" }),
  filters: opt(list(Filter), { query: "Filter" }),
  maxResults: int,
  nextToken: str,
};

function checkDryRun(input: { dryRun?: boolean }): void {
  if (input.dryRun)
    throw new AwsError("DryRunOperation", 412, "Request would have succeeded, but DryRun flag is set.");
}

const filters = (list: Array<{ name?: string; values?: string[] }> | undefined) =>
  list?.map((f) => ({ name: f.name ?? "", values: f.values ?? [] }));

export const ec2InstanceOperations = {
  DescribeInstances: operation({
    input: struct(query),
    output: struct({ reservations: opt(list(Reservation), { xml: "reservationSet" }), nextToken: str }),
    support: "partial",
    notes:
      "Instances of Auto Scaling groups (and detached ones). privateIpAddress is loopback; the port is the scaleout:port tag. Filters: instance-id, instance-state-name, instance-state-code, image-id, availability-zone, private-ip-address, tag-key, tag:<key>.",
    run: (input, { services, accountId }) => {
      checkDryRun(input);
      const page = services.ec2Instances.describe({ ...input, filters: filters(input.filters) });
      return {
        reservations: page.items.map(({ port: _port, autoScalingGroupName: _group, ...instance }) => ({
          // A stable reservation id per instance: the instance id's digits.
          reservationId: `r-${instance.instanceId.slice(2)}`,
          ownerId: accountId,
          instances: [instance],
        })),
        nextToken: page.nextToken,
      };
    },
  }),

  DescribeInstanceStatus: operation({
    input: struct({ ...query, includeAllInstances: bool }),
    output: struct({
      instanceStatuses: opt(list(InstanceStatus), { xml: "instanceStatusSet" }),
      nextToken: str,
    }),
    support: "partial",
    notes:
      "Instance and system status are `ok` while the group sees the instance healthy, `impaired` once it is marked Unhealthy. Filters: instance-state-name, instance-state-code, availability-zone, instance-status.status, system-status.status.",
    run: (input, { services }) => {
      checkDryRun(input);
      const page = services.ec2Instances.status({ ...input, filters: filters(input.filters) });
      return { instanceStatuses: page.items, nextToken: page.nextToken };
    },
  }),
};
