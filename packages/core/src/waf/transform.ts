import { hexDigit } from "./ip-numbers.ts";
import type { TextTransformation, TextTransformationType } from "./types.ts";

/*
 * WAF's text transformations over byte strings (one char a byte, 0-255: latin1, as Node reads header
 * values and as the engine reads the body), applied in priority order before a statement inspects its
 * field. They follow ModSecurity's transformations, which WAF's are named after. Each is total: any input,
 * however malformed, gives an output and never throws (property tests in transform.test.ts).
 */

type Transform = (input: string) => string;

const lowercase: Transform = (s) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/** %hh decoded, `+` a space; a `%` not followed by two hex digits stays as it is. */
function urlDecode(s: string, unicode: boolean): string {
  if (!s.includes("%") && !s.includes("+")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43) {
      out += " ";
      continue;
    }
    if (c === 37) {
      const h1 = hexDigit(s.charCodeAt(i + 1));
      const h2 = hexDigit(s.charCodeAt(i + 2));
      if (h1 !== -1 && h2 !== -1) {
        out += String.fromCharCode(h1 * 16 + h2);
        i += 2;
        continue;
      }
      // %uXXXX (IIS): full-width ASCII folds to ASCII, anything else keeps its low byte (ModSecurity).
      if (unicode && (s[i + 1] === "u" || s[i + 1] === "U")) {
        let code = 0;
        let ok = true;
        for (let j = 2; j <= 5; j++) {
          const d = hexDigit(s.charCodeAt(i + j));
          if (d === -1) ok = false;
          code = code * 16 + d;
        }
        if (ok) {
          out += String.fromCharCode(code >= 0xff01 && code <= 0xff5e ? code - 0xfee0 : code & 0xff);
          i += 5;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

/** \f \t \n \r \v and NBSP become spaces, runs of spaces one space. */
const compressWhiteSpace: Transform = (s) => s.replace(/[ \f\t\n\r\v\u00a0]+/g, " ");

const namedEntities: Record<string, string> = {
  quot: '"',
  amp: "&",
  lt: "<",
  gt: ">",
  nbsp: "\u00a0",
};

/** A code point as bytes: one for 0-255, else its UTF-8 encoding. */
function codePointBytes(code: number): string {
  if (code < 256) return String.fromCharCode(code);
  if (code > 0x10ffff) return "";
  return Buffer.from(String.fromCodePoint(code), "utf8").toString("latin1");
}

/** &quot; &amp; &lt; &gt; &nbsp; &#nnn; &#xhh; (the trailing `;` optional for numeric references). */
const htmlEntityDecode: Transform = (s) =>
  s.includes("&")
    ? s.replace(
        /&(?:#[xX]([0-9a-fA-F]{1,6});?|#([0-9]{1,7});?|(quot|amp|lt|gt|nbsp);)/g,
        (m, hex, dec, name) => {
          if (hex !== undefined) return codePointBytes(Number.parseInt(hex, 16));
          if (dec !== undefined) return codePointBytes(Number.parseInt(dec, 10));
          return namedEntities[String(name)] ?? m;
        },
      )
    : s;

/** Base64 (standard or URL alphabet); what is not base64 is skipped, as ModSecurity decodes what it can. */
const base64Decode: Transform = (s) => Buffer.from(s, "base64").toString("latin1");

/** Pairs of hex digits to bytes; stops at the first pair that is not hex (ModSecurity's hexDecode). */
const hexDecode: Transform = (s) => {
  let out = "";
  for (let i = 0; i + 1 < s.length; i += 2) {
    const h1 = hexDigit(s.charCodeAt(i));
    const h2 = hexDigit(s.charCodeAt(i + 1));
    if (h1 === -1 || h2 === -1) break;
    out += String.fromCharCode(h1 * 16 + h2);
  }
  return out;
};

/** Repeated slashes, `/./` and `/../` resolved; the path is not decoded. */
const normalizePath: Transform = (s) => {
  if (s === "") return s;
  const absolute = s.startsWith("/");
  const trailing = s.endsWith("/") || s.endsWith("/.") || s.endsWith("/..");
  const out: string[] = [];
  for (const segment of s.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(segment);
  }
  let path = (absolute ? "/" : "") + out.join("/");
  if (trailing && out.length > 0) path += "/";
  return path;
};

const removeNulls: Transform = (s) => (s.includes("\0") ? s.replaceAll("\0", "") : s);

/** Windows command-line obfuscation: \ " ' ^ deleted, spaces before / and ( deleted, , and ; to spaces, spaces compressed, lower-cased. */
const cmdLine: Transform = (s) =>
  lowercase(
    s
      .replace(/[\\"'^]/g, "")
      .replace(/[ \t\n\r\f\v]+(?=[/(])/g, "")
      .replace(/[,;]/g, " ")
      .replace(/[ \t\n\r\f\v]+/g, " "),
  );

const transforms: Partial<Record<TextTransformationType, Transform>> = {
  NONE: (s) => s,
  LOWERCASE: lowercase,
  URL_DECODE: (s) => urlDecode(s, false),
  URL_DECODE_UNI: (s) => urlDecode(s, true),
  COMPRESS_WHITE_SPACE: compressWhiteSpace,
  HTML_ENTITY_DECODE: htmlEntityDecode,
  BASE64_DECODE: base64Decode,
  BASE64_DECODE_EXT: base64Decode,
  HEX_DECODE: hexDecode,
  NORMALIZE_PATH: normalizePath,
  NORMALIZE_PATH_WIN: (s) => normalizePath(s.replaceAll("\\", "/")),
  REMOVE_NULLS: removeNulls,
  REPLACE_NULLS: (s) => (s.includes("\0") ? s.replaceAll("\0", " ") : s),
  CMD_LINE: cmdLine,
};

/**
 * The transformations the data plane applies. wafapi's validation refuses the others
 * (WAFInvalidParameterException): MD5, REPLACE_COMMENTS, ESCAPE_SEQ_DECODE, SQL_HEX_DECODE, CSS_DECODE,
 * JS_DECODE, UTF8_TO_UNICODE.
 */
export const supportedTransformations: ReadonlySet<TextTransformationType> = new Set(
  Object.keys(transforms) as TextTransformationType[],
);

/** The transformations of a statement as one function, in priority order (lowest first); NONE costs nothing. */
export function compileTransformations(
  list: readonly TextTransformation[] | undefined,
): Transform | undefined {
  const steps = [...(list ?? [])]
    .sort((a, b) => a.Priority - b.Priority)
    .filter((t) => t.Type !== "NONE")
    .map((t) => transforms[t.Type] ?? ((s: string) => s));
  if (steps.length === 0) return undefined;
  if (steps.length === 1) return steps[0];
  return (input) => {
    let value = input;
    for (const step of steps) value = step(value);
    return value;
  };
}
