/**
 * The HTTP/1.1 view of an HTTP/2 request's header list, as a target behind ALB sees it (ALB forwards
 * HTTP/2 to target groups of protocol version HTTP1 as HTTP/1.1): Host first, from `:authority` when
 * present (RFC 9113 8.3.1: it replaces a Host field), the other pseudo-header fields dropped, and the
 * cookie fields, which HTTP/2 may split into one per crumb, joined into one (RFC 9113 8.2.3).
 */
export function http1Headers(raw: readonly string[]): string[] {
  let authority: string | undefined;
  let host: string | undefined;
  let cookie: string | undefined;
  const out: string[] = ["host", ""];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? "";
    const value = raw[i + 1] ?? "";
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ":authority") authority = value;
      continue;
    }
    if (name === "host") host = value;
    else if (name === "cookie") cookie = cookie === undefined ? value : `${cookie}; ${value}`;
    else out.push(name, value);
  }
  const hostValue = authority ?? host;
  // Neither: no Host at all, which the classifier answers 400 (MissingHost) as for HTTP/1.1.
  if (hostValue === undefined) out.splice(0, 2);
  else out[1] = hostValue;
  if (cookie !== undefined) out.push("cookie", cookie);
  return out;
}
