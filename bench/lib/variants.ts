/** One `--variants` entry: a name and what the variant changes. */
export interface Variant {
  name: string;
  /** Node flags of the variant; the shipped ones when it names none (a variant of settings alone). */
  nodeArgs: string[];
  /** Settings (upper-case `NAME=value` words) for the variant's environment. */
  env: Record<string, string>;
}

const setting = /^([A-Z][A-Z0-9_]*)=(.*)$/s;

/**
 * Parses `--variants "name=flags;name2=flags"` as bench/proxy and bench/l4 take it: each entry's words
 * are node flags, except upper-case `NAME=value` words, which go to the environment. A variant of
 * settings alone keeps `shippedArgs`, so it differs from the measured build in its settings only.
 */
export function parseVariants(spec: string | undefined, shippedArgs: string[]): Variant[] {
  return (spec ?? "")
    .split(";")
    .filter((entry) => entry.trim() !== "")
    .map((entry) => {
      const eq = entry.indexOf("=");
      const name = eq === -1 ? entry : entry.slice(0, eq);
      const words =
        eq === -1
          ? []
          : entry
              .slice(eq + 1)
              .split(" ")
              .filter(Boolean);
      const env: Record<string, string> = {};
      const args: string[] = [];
      for (const word of words) {
        const match = setting.exec(word);
        if (match?.[1] !== undefined) env[match[1]] = match[2] ?? "";
        else args.push(word);
      }
      return { name, nodeArgs: args.length > 0 ? args : shippedArgs, env };
    });
}
