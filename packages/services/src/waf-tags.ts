import { invalidParameter, wafRead } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { removeTags } from "./tags.ts";
import {
  nonexistent,
  parseWafArn,
  readTagKeys,
  readWafTags,
  wafPage,
  wafTagList,
  writeWafTags,
} from "./waf-common.ts";

/*
 * WAF's TagResource / UntagResource / ListTagsForResource over web ACLs and IP sets, in the generic tags
 * table. Tags are not configuration the proxy reads, but they go through `mutate` like every write.
 */

const { webAcls, ipSets } = schema;

type Input = Record<string, unknown>;

const arnRule = { min: 20, max: 2048 };

export function wafTagService(ctx: ServiceContext) {
  const { db } = ctx;

  function requireResource(value: unknown): string {
    const arn = readArn(value);
    const parsed = parseWafArn(arn);
    if (!parsed) throw invalidParameter("RESOURCE_ARN", arn, "The ARN isn't a web ACL's or an IP set's.");
    const table = parsed.kind === "webacl" ? webAcls : ipSets;
    if (!db.select({ arn: table.arn }).from(table).where(eq(table.arn, arn)).get()) throw nonexistent();
    return arn;
  }

  return {
    tag(input: Input) {
      const arn = requireResource(input.ResourceARN);
      const tags = readWafTags(input.Tags);
      mutate(ctx, (tx) => writeWafTags(tx, arn, tags));
    },

    untag(input: Input) {
      const arn = requireResource(input.ResourceARN);
      const keys = readTagKeys(input.TagKeys);
      mutate(ctx, (tx) => removeTags(tx, arn, keys));
    },

    list(input: Input) {
      const arn = requireResource(input.ResourceARN);
      const page = wafPage(wafTagList(db, arn), (t) => t.Key, input);
      return {
        TagInfoForResource: { ResourceARN: arn, TagList: page.items },
        ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }),
      };
    },
  };
}

const readArn = (value: unknown): string => wafRead.str(value, "resourceARN", arnRule);
