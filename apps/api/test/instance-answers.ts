import { eventually } from "@scaleout/testing";

/** Whether the instance on a loopback port answers /health with a 2xx within 2 s (one try). */
export async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Whether the instance on a port answers /health within `timeoutMs`. InService does not mean the app has started
 * to listen (a group without ELB checks does not wait for it), and under CI's load a start takes seconds; an
 * instance that was killed never answers, so waiting proves "it runs" as well as a single try would.
 */
export async function answersWithin(port: number, timeoutMs = 15_000): Promise<boolean> {
  try {
    return await eventually(async () => ((await answers(port)) ? true : undefined), {
      timeoutMs,
      message: `an instance answers on port ${port}`,
    });
  } catch {
    return false;
  }
}
