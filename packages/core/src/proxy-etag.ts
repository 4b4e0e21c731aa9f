/*
 * GET /v1/proxy/snapshot's validator: the registry's configuration version, which every committed change
 * bumps. A proxy sends the ETag of what it routes on in If-None-Match and gets 304 when nothing changed.
 */

/** A strong entity tag for a configuration version: `"v42"`. */
export function configEtag(version: number): string {
  return `"v${version}"`;
}

/** The version an entity tag of ours names (weak or strong), or undefined for anything else. */
export function versionOfEtag(tag: string): number | undefined {
  const match = /^(?:W\/)?"v(0|[1-9][0-9]{0,15})"$/.exec(tag.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Whether an If-None-Match header matches `version` (RFC 9110 13.1.2: `*`, or a list of tags compared
 * weakly). A header that is not a list of tags matches nothing: the full snapshot is sent.
 */
export function etagMatches(header: string | undefined, version: number): boolean {
  if (header === undefined || header.length > 4096) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => versionOfEtag(tag) === version);
}
