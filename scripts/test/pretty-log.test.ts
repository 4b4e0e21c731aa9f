import { describe, expect, it } from "vitest";
import { colourOf, jsonLine, parseLine, prettyLine } from "../pretty-log.ts";

const now = new Date("2026-12-01T11:00:00.000Z");

describe("npm start's log lines", () => {
  it("keeps a child's JSON line, with level, time, process and msg first", () => {
    const line =
      '{"level":"info","time":"2026-12-01T11:00:01.234Z","process":"worker","pid":7,"msg":"started","group":"web"}';
    const record = parseLine("worker", "stdout", line, now);
    expect(JSON.parse(jsonLine(record))).toEqual(JSON.parse(line));
    expect(Object.keys(JSON.parse(jsonLine(record))).slice(0, 4)).toEqual([
      "level",
      "time",
      "process",
      "msg",
    ]);
  });

  it("wraps a line that is not JSON into the same shape, at warn from stderr", () => {
    expect(parseLine("api", "stderr", "TypeError: x is undefined", now)).toEqual({
      level: "warn",
      time: now.toISOString(),
      process: "api",
      msg: "TypeError: x is undefined",
    });
  });

  it("names pino's numeric levels and fills a missing process with the child's name", () => {
    const record = parseLine(
      "api",
      "stdout",
      '{"level":30,"time":"2026-12-01T11:00:01.234Z","msg":"hi"}',
      now,
    );
    expect(record).toMatchObject({ level: "info", process: "api", msg: "hi" });
  });

  it("pretty-prints time, process, level, message and fields, without pid", () => {
    const record = parseLine(
      "proxy",
      "stdout",
      '{"level":"warn","time":"2026-12-01T11:00:01.234Z","process":"proxy","pid":9,"msg":"target i-1:80 healthy → unhealthy","reason":"Target.Timeout"}',
      now,
    );
    expect(prettyLine(record, false)).toBe(
      "11:00:01.234 proxy            WARN  target i-1:80 healthy → unhealthy reason=Target.Timeout",
    );
    expect(prettyLine(record, true)).toContain(`${colourOf("proxy")}proxy`);
  });

  it("gives each process a colour of its own, stable across calls", () => {
    const names = ["scaleout", "api", "worker", "proxy", "redis"];
    expect(new Set(names.map(colourOf)).size).toBe(names.length);
    expect(colourOf("proxy-worker-3")).toBe(colourOf("proxy-worker-3"));
  });
});
