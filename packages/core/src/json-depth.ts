/**
 * How deep a JSON document may nest before it is parsed. JSON.parse itself copes with deep input, but
 * everything after it that walks the value recursively (validation, stringifying a bad value into an
 * error) overflows the stack on a body nested a few thousand levels; AWS's and scaleout's shapes nest at
 * most about ten.
 */
export const maxJsonDepth = 64;

/** The index of the quote that closes the string whose contents start at `from`, or -1. */
function stringEnd(text: string, from: number): number {
  let at = text.indexOf('"', from);
  while (at !== -1) {
    // The quote is escaped when an odd number of backslashes precede it.
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

/**
 * Whether `text` opens more than `max` arrays or objects inside one another. One pass that jumps over
 * string contents with indexOf (most of a body's bytes); it does not validate the JSON, which the parser
 * does next.
 */
export function jsonTooDeep(text: string, max: number = maxJsonDepth): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i + 1);
      if (end === -1) return false; // an unterminated string: the parser refuses it
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
