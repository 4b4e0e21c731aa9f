import type { ListenerConfig, Snapshot } from "../snapshot.ts";

/** Listener protocols of network load balancers: served by l4/, never by the HTTP listeners. */
const layer4 = new Set(["TCP", "TLS", "UDP", "TCP_UDP"]);

export const isLayer4Protocol = (protocol: string): boolean => layer4.has(protocol);

/** A listener with a TCP side, bound here as a stream server (TCP_UDP's UDP side is udp's). */
export const hasTcpSide = (protocol: string): boolean =>
  protocol === "TCP" || protocol === "TLS" || protocol === "TCP_UDP";

/** NLB's default `tcp.idle_timeout.seconds`. */
export const defaultTcpIdleSeconds = 350;

/** A listener's TCP idle timeout in ms (tcp.idle_timeout.seconds; an unreadable value is the default). */
export function tcpIdleTimeoutMs(listener: ListenerConfig): number {
  const seconds = Number(listener.attributes["tcp.idle_timeout.seconds"] ?? defaultTcpIdleSeconds);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : defaultTcpIdleSeconds) * 1000;
}

/** The target group a layer-4 listener forwards to: its default action's (NLB allows one forward). */
export function forwardedGroupArn(listener: ListenerConfig): string | undefined {
  const action = listener.rules[listener.rules.length - 1]?.action;
  if (action?.type !== "forward") return undefined;
  return action.forwardConfig?.targetGroups[0]?.targetGroupArn ?? action.targetGroupArn;
}

/** The layer-4 listeners of a snapshot with a TCP side, by port. */
export function tcpListeners(snapshot: Snapshot): ListenerConfig[] {
  const out: ListenerConfig[] = [];
  for (const listener of snapshot.listeners.values()) if (hasTcpSide(listener.protocol)) out.push(listener);
  return out;
}
