import { describe, expect, test } from "vitest";
import { objectIdentifier, pem, sequence, time, unsignedInteger } from "./certificate-der.ts";

const hex = (buffer: Buffer) => buffer.toString("hex");

describe("DER", () => {
  test("INTEGER: minimal bytes, a zero byte before a set high bit", () => {
    expect(hex(unsignedInteger(Buffer.from([2])))).toBe("020102");
    expect(hex(unsignedInteger(Buffer.from([0, 0, 0x7f])))).toBe("02017f");
    expect(hex(unsignedInteger(Buffer.from([0x80])))).toBe("02020080");
    expect(hex(unsignedInteger(Buffer.from([0])))).toBe("020100");
  });

  test("OBJECT IDENTIFIER: the first two arcs in one byte, the rest base 128", () => {
    // X.690's own example and two that scaleout writes.
    expect(hex(objectIdentifier("2.5.4.3"))).toBe("0603550403");
    expect(hex(objectIdentifier("1.2.840.10045.4.3.2"))).toBe("06082a8648ce3d040302");
    expect(hex(objectIdentifier("1.3.6.1.5.5.7.3.1"))).toBe("06082b06010505070301");
  });

  test("lengths of 128 bytes and more take the long form", () => {
    expect(hex(sequence(Buffer.alloc(127)).subarray(0, 2))).toBe("307f");
    expect(hex(sequence(Buffer.alloc(128)).subarray(0, 3))).toBe("308180");
    expect(hex(sequence(Buffer.alloc(70_000)).subarray(0, 5))).toBe("3083011170");
  });

  test("UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280)", () => {
    expect(time(Date.UTC(2049, 11, 31, 23, 59, 59)).toString("latin1")).toBe("\u0017\u000d491231235959Z");
    expect(time(Date.UTC(2050, 0, 1)).toString("latin1")).toBe("\u0018\u000f20500101000000Z");
  });

  test("PEM wraps base64 at 64 characters", () => {
    const text = pem("CERTIFICATE", Buffer.alloc(100, 1));
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe("-----BEGIN CERTIFICATE-----");
    expect(lines[1]).toHaveLength(64);
    expect(lines.at(-1)).toBe("-----END CERTIFICATE-----");
  });
});
