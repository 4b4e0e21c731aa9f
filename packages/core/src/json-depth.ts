/**
 * How deep a JSON document may nest before it is parsed. JSON.parse itself copes with deep input, but
 * everything after it that walks the value recursively (validation, stringifying a bad value into an
 * error) overflows the stack on a body nested a few thousand levels; AWS's and scaleout's shapes nest at
 * most about ten.
 */
export const maxJsonDepth = 64;

/**
 * Whether `text` opens more than `max` arrays or objects inside one another. A single pass over the
 * characters that skips string contents (escapes included); it does not validate the JSON, which the
 * parser does next.
 */
export function jsonTooDeep(text: string, max: number = maxJsonDepth): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++; // the escaped character, a quote included, cannot end the string
      } else if (c === 0x22) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
