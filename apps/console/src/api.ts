/*
 * The console's actions call the api's REST routes, as any client does. The `x-scaleout-console` header
 * is what lets the session cookie authenticate a request that changes something (apps/api/src/console/
 * session.ts): no other site's page can add it.
 */

export async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      "x-scaleout-console": "1",
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const data: unknown = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const { code, message } = data as { code?: string; message?: string };
    throw new Error(`${code ?? res.status}: ${message ?? text}`);
  }
  return data;
}

const enc = encodeURIComponent;

export const actions = {
  setDesiredCapacity: (group: string, desiredCapacity: number) =>
    call("PUT", `/v1/auto-scaling-groups/${enc(group)}/desired-capacity`, { desiredCapacity }),
  terminateInstance: (instanceId: string, shouldDecrementDesiredCapacity: boolean) =>
    call("POST", `/v1/instances/${enc(instanceId)}/terminate`, { shouldDecrementDesiredCapacity }),
  setAlarmState: (alarm: string, stateValue: string) =>
    call("PUT", `/v1/alarms/${enc(alarm)}/state`, {
      stateValue,
      stateReason: "Set from the scaleout console",
    }),
  deregisterTarget: (targetGroup: string, id: string, port: number) =>
    call("POST", `/v1/target-groups/${enc(targetGroup)}/targets/deregister`, { targets: [{ id, port }] }),
};
