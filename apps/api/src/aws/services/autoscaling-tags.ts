import { operation, pageSize } from "../operation.ts";
import { list, req, str, struct } from "../shapes.ts";
import { Filter, page, Tag, TagDescription } from "./autoscaling-common.ts";

/* Group tags over the Auto Scaling door. */

export const tagOperations = {
  CreateOrUpdateTags: operation({
    input: struct({ tags: req(list(Tag)) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.tagging.groups.createOrUpdate(input.tags);
      return undefined;
    },
  }),

  DescribeTags: operation({
    input: struct({ filters: list(Filter), ...page }),
    output: struct({ tags: list(TagDescription), nextToken: str }),
    support: "implemented",
    run: (input, { services }) => {
      const result = services.tagging.groups.describe({
        filters: input.filters,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 50),
        nextToken: input.nextToken,
      });
      return { tags: result.items, nextToken: result.nextToken };
    },
  }),

  DeleteTags: operation({
    input: struct({ tags: req(list(Tag)) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.tagging.groups.delete(input.tags);
      return undefined;
    },
  }),
};
