import { templateError } from "./value.ts";

/** A piece of an Fn::Sub string: text as written, or a variable to substitute. */
export type SubPart = { text: string } | { variable: string };

/**
 * Splits an Fn::Sub string into text and `${...}` variables. `${!Literal}` is the text `${Literal}`;
 * a `${` that never closes is text, as CloudFormation leaves it.
 */
export function parseSub(template: string): SubPart[] {
  const parts: SubPart[] = [];
  let text = "";
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf("${", at);
    if (open === -1) break;
    const close = template.indexOf("}", open + 2);
    if (close === -1) break;
    text += template.slice(at, open);
    const inside = template.slice(open + 2, close);
    if (inside.startsWith("!")) {
      text += `\${${inside.slice(1)}}`;
    } else {
      const variable = inside.trim();
      if (variable === "") throw templateError(`Fn::Sub: empty variable \${} in '${template}'`);
      if (text !== "") parts.push({ text });
      text = "";
      parts.push({ variable });
    }
    at = close + 1;
  }
  text += template.slice(at);
  if (text !== "") parts.push({ text });
  return parts;
}

/** A Sub variable as a reference: `Res.Attr` names an attribute, anything else a Ref. */
export function subReference(variable: string): { ref: string } | { getAtt: [string, string] } {
  const dot = variable.indexOf(".");
  // Pseudo parameters have no dots; `AWS::Region` stays whole.
  if (dot > 0 && dot < variable.length - 1 && !variable.startsWith("AWS::"))
    return { getAtt: [variable.slice(0, dot), variable.slice(dot + 1)] };
  return { ref: variable };
}
