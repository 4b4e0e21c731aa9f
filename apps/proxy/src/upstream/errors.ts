export type UpstreamErrorCode =
  | "ECONNREFUSED"
  | "ECONNRESET"
  | "CONNECT_TIMEOUT"
  | "IDLE_TIMEOUT"
  | "INVALID_RESPONSE"
  | "CLOSED_EARLY"
  | "TARGET_DEREGISTERED"
  | "CLIENT_CLOSED"
  /** Every connection to the target stayed busy for the pool's queue timeout, or its queue was full. */
  | "POOL_EXHAUSTED";

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}
