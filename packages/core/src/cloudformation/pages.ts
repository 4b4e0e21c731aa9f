import { Errors } from "../errors.ts";

/*
 * CloudFormation's pages. Its API reference pages ListExports at 100 exports and the other listings
 * "when the output exceeds 1 MB"; scaleout pages every listing at 100 items (docs/aws-differences.md).
 * A token names the listing it belongs to (the operation and, for a stack's listings, the stack), the
 * key of the last item returned and the offset after it: the next page starts after that key, or at the
 * offset when the item has gone meanwhile. Tokens are client input: anything else is a ValidationError.
 */

export const cfnPageSize = 100;

interface TokenBody {
  l: string;
  k: string;
  o: number;
}

const invalid = (token: string) => new Errors.ValidationError(`${token} is not a valid NextToken`);

function decode(token: string, listing: string): TokenBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid(token);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid(token);
  const { l, k, o } = parsed as Record<string, unknown>;
  if (l !== listing || typeof k !== "string" || typeof o !== "number") throw invalid(token);
  if (!Number.isSafeInteger(o) || o < 1) throw invalid(token);
  return { l, k, o };
}

const encode = (body: TokenBody): string => Buffer.from(JSON.stringify(body), "utf8").toString("base64url");

/**
 * One page of `items` (already in the listing's order) after `token`. `listing` scopes the token (a
 * token of one listing is refused by another); `key` names an item uniquely within it.
 */
export function cfnPage<T>(
  items: readonly T[],
  token: string | undefined,
  listing: string,
  key: (item: T) => string,
  size = cfnPageSize,
): { items: T[]; nextToken?: string } {
  let start = 0;
  if (token !== undefined) {
    const body = decode(token, listing);
    const at = items.findIndex((item) => key(item) === body.k);
    start = at >= 0 ? at + 1 : Math.min(body.o, items.length);
  }
  const page = items.slice(start, start + size);
  const last = page.at(-1);
  const end = start + page.length;
  if (last === undefined || end >= items.length) return { items: page };
  return { items: page, nextToken: encode({ l: listing, k: key(last), o: end }) };
}
