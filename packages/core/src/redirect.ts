import type { Action } from "./types.ts";

export interface RedirectRequest {
  protocol: string;
  host: string;
  port: number;
  /** The request's path, with its leading slash. */
  path: string;
  /** The query string without '?'. */
  query: string;
}

/**
 * Where a redirect action sends a request: #{protocol}, #{host}, #{port}, #{path}, #{query} in each
 * component are replaced by the request's parts (#{path} without its leading slash, as AWS documents);
 * the default port of the resulting protocol is left out of the URL.
 */
export function redirectLocation(
  config: NonNullable<Action["redirectConfig"]>,
  request: RedirectRequest,
): string {
  const fill = (template: string) =>
    template
      .replaceAll("#{protocol}", request.protocol)
      .replaceAll("#{host}", request.host)
      .replaceAll("#{port}", String(request.port))
      .replaceAll("#{path}", request.path.replace(/^\//, ""))
      .replaceAll("#{query}", request.query);
  const protocol = fill(config.protocol ?? "#{protocol}").toLowerCase();
  const host = fill(config.host ?? "#{host}");
  const port = fill(config.port ?? "#{port}");
  const path = fill(config.path ?? "/#{path}");
  const query = fill(config.query ?? "#{query}");
  const defaultPort = (protocol === "http" && port === "80") || (protocol === "https" && port === "443");
  return `${protocol}://${host}${defaultPort ? "" : `:${port}`}${path.startsWith("/") ? path : `/${path}`}${query ? `?${query}` : ""}`;
}
