/**
 * The api as a proxy on another host reaches it: a base URL (http or https), the api token, and
 * bounded waits, so a slow or broken api costs a failed call, never a stuck proxy.
 */
export interface ApiClientOptions {
  /** e.g. `http://10.0.0.5:7700` or `https://scaleout.internal`. */
  url: string;
  token?: string | undefined;
  /** A call that has not answered by then fails (default 5 s). */
  timeoutMs?: number;
}

/** Bodies a proxy will read from the api at most (a snapshot with many certificates is a few MB). */
export const maxBodyBytes = 64 * 1024 * 1024;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export class ApiClient {
  readonly base: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: ApiClientOptions) {
    const base = new URL(options.url);
    if (base.protocol !== "http:" && base.protocol !== "https:")
      throw new Error(`--api must be an http or https URL, not ${options.url}`);
    this.base = base;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  url(path: string): URL {
    return new URL(path.replace(/^\//, ""), this.base.href.endsWith("/") ? this.base : `${this.base.href}/`);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...extra,
      ...(this.options.token !== undefined && { authorization: `Bearer ${this.options.token}` }),
    };
  }

  /** GET answering status, headers and the body as text (bounded). */
  async get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Headers; body: string }> {
    const response = await fetch(this.url(path), {
      headers: this.headers(headers),
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: "error",
    });
    const body = await readBounded(response);
    return { status: response.status, headers: response.headers, body };
  }

  /** POST a JSON body; answers the parsed JSON of a 2xx, throws ApiError otherwise. */
  async post(path: string, body: unknown): Promise<unknown> {
    const response = await fetch(this.url(path), {
      method: "POST",
      headers: this.headers({ "content-type": "application/json" }),
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: "error",
    });
    const text = await readBounded(response);
    if (response.status < 200 || response.status > 299)
      throw new ApiError(`POST ${path}: ${response.status} ${text.slice(0, 200)}`, response.status);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ApiError(`POST ${path}: the answer is not JSON`, response.status);
    }
  }
}

async function readBounded(response: Response): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBodyBytes) {
    await response.body?.cancel();
    throw new ApiError(`the api's answer is too large (${declared} bytes)`, response.status);
  }
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBodyBytes) {
      await reader.cancel();
      throw new ApiError("the api's answer is too large", response.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
