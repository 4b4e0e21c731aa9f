import { describe, expect, it } from "vitest";
import { consoleLike, createProcessLog, logLevelFrom, plainFields } from "./log.ts";

function capture(name: string, level: "debug" | "info" = "info") {
  const lines: string[] = [];
  const logger = createProcessLog(name, {
    level,
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), lines };
}

describe("process log", () => {
  it("writes one JSON object a line with level by name, an ISO time, the process and msg", () => {
    const { logger, records, lines } = capture("worker");
    logger.info({ group: "web" }, "group web: desired 1 → 2");
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    const [record] = records();
    expect(record).toMatchObject({
      level: "info",
      process: "worker",
      msg: "group web: desired 1 → 2",
      group: "web",
    });
    expect(typeof record?.time).toBe("string");
    expect(new Date(String(record?.time)).toISOString()).toBe(record?.time);
    expect(record?.pid).toBe(process.pid);
  });

  it("leaves out lines below its level", () => {
    const { logger, lines } = capture("api");
    logger.debug("a request");
    expect(lines).toEqual([]);
  });

  it("reads LOG_LEVEL, falling back to info", () => {
    expect(logLevelFrom("debug")).toBe("debug");
    expect(logLevelFrom("loud")).toBe("info");
    expect(logLevelFrom(undefined)).toBe("info");
  });

  it("turns Error field values into their message", () => {
    expect(plainFields({ error: new Error("boom"), id: "i-1", gone: undefined })).toEqual({
      error: "boom",
      id: "i-1",
    });
  });

  it("gives the proxy's console-shaped calls the same shape: message first, the error under err", () => {
    const { logger, records } = capture("proxy-worker-2");
    const log = consoleLike(logger);
    log.warn("could not record the health of i-1:80", new Error("SQLITE_BUSY"));
    log.info("proxy serving 2 listener(s)");
    const [warn, info] = records();
    expect(warn).toMatchObject({
      level: "warn",
      process: "proxy-worker-2",
      msg: "could not record the health of i-1:80",
    });
    expect(warn?.err).toMatchObject({ message: "SQLITE_BUSY" });
    expect(info).toMatchObject({ level: "info", msg: "proxy serving 2 listener(s)" });
  });
});
