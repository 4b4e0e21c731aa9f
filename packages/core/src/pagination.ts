import { check, Errors } from "./errors.ts";

/** Opaque continuation tokens: the sort key of the last item returned, base64url. */
export function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), "utf8").toString("base64url");
}

export function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined || token === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      typeof (parsed as { after?: unknown }).after === "string"
    ) {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through: a token that does not parse is as invalid as one of the wrong shape
  }
  throw new Errors.InvalidNextToken("The NextToken is not valid");
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export const defaultPageSize = 100;
export const maxPageSize = 400;

export function checkPageSize(pageSize: number | undefined): number {
  const size = pageSize ?? defaultPageSize;
  check(
    Number.isInteger(size) && size >= 1 && size <= maxPageSize,
    `PageSize must be between 1 and ${maxPageSize}`,
  );
  return size;
}

/**
 * Cuts one page out of items already sorted by `key` and starting after the token's key: asks the
 * store for `pageSize + 1` rows and answers a token only when there is more.
 */
export function pageOf<T>(rows: T[], pageSize: number, key: (item: T) => string): Page<T> {
  if (rows.length <= pageSize) return { items: rows };
  const items = rows.slice(0, pageSize);
  const last = items[items.length - 1];
  return last === undefined ? { items } : { items, nextToken: encodeToken(key(last)) };
}
