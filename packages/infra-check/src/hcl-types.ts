/**
 * A Terraform type constraint, parsed from the text hcl2json leaves (`object({ a = optional(number, 1) })`).
 * Enough of the type language for root variables: primitives, collections, objects and optional().
 */
export type TfType =
  | { kind: "string" | "number" | "bool" | "any" }
  | { kind: "map" | "list" | "set"; element: TfType }
  | { kind: "object"; attributes: Map<string, { type: TfType; optional: boolean }> };

export function parseType(text: string): TfType {
  const src = text.replace(/^\$\{([\s\S]*)\}$/, "$1");
  let i = 0;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i] as string)) i++;
  };
  const skip = () => {
    while (i < src.length && /[\s,]/.test(src[i] as string)) i++;
  };
  const word = () => {
    skip();
    const m = /^[A-Za-z_][\w-]*/.exec(src.slice(i));
    if (!m) throw new Error(`type expected at ${i} in ${src}`);
    i += m[0].length;
    return m[0];
  };
  const expect = (ch: string) => {
    skip();
    if (src[i] !== ch) throw new Error(`"${ch}" expected at ${i} in ${src}`);
    i++;
  };
  // Skips a default value of optional(), balanced over brackets.
  const skipValue = () => {
    skip();
    let depth = 0;
    while (i < src.length) {
      const ch = src[i] as string;
      if (ch === '"') {
        i++;
        while (i < src.length && src[i] !== '"') i += src[i] === "\\" ? 2 : 1;
      } else if ("([{".includes(ch)) depth++;
      else if (")]}".includes(ch)) {
        if (depth === 0) return;
        depth--;
      }
      i++;
    }
  };
  const type = (): TfType => {
    const name = word();
    if (name === "string" || name === "number" || name === "bool" || name === "any") return { kind: name };
    if (name === "map" || name === "list" || name === "set") {
      expect("(");
      const element = type();
      expect(")");
      return { kind: name, element };
    }
    if (name === "object") {
      expect("(");
      expect("{");
      const attributes = new Map<string, { type: TfType; optional: boolean }>();
      skip();
      while (src[i] !== "}") {
        const key = word();
        expect("=");
        skip();
        if (src.slice(i).startsWith("optional(")) {
          i += "optional(".length;
          const t = type();
          ws();
          if (src[i] === ",") {
            i++;
            skipValue();
          }
          expect(")");
          attributes.set(key, { type: t, optional: true });
        } else {
          attributes.set(key, { type: type(), optional: false });
        }
        skip();
      }
      expect("}");
      expect(")");
      return { kind: "object", attributes };
    }
    throw new Error(`unknown type ${name}`);
  };
  return type();
}

/** Problems with a JSON value against a Terraform type, each with its dotted path. */
export function typeProblems(value: unknown, type: TfType, path: string): string[] {
  if (value === null) return [];
  switch (type.kind) {
    case "any":
      return [];
    case "string":
    case "number":
    case "bool": {
      const js = type.kind === "bool" ? "boolean" : type.kind;
      return typeof value === js ? [] : [`${path}: ${JSON.stringify(value)} is not a ${type.kind}`];
    }
    case "list":
    case "set":
      return Array.isArray(value)
        ? value.flatMap((v, n) => typeProblems(v, type.element, `${path}[${n}]`))
        : [`${path}: not a ${type.kind}`];
    case "map":
      return typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) => typeProblems(v, type.element, `${path}.${k}`))
        : [`${path}: not a map`];
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return [`${path}: not an object`];
      const problems: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        const attr = type.attributes.get(k);
        if (!attr) problems.push(`${path}.${k}: not an attribute of the variable's type`);
        else problems.push(...typeProblems(v, attr.type, `${path}.${k}`));
      }
      for (const [k, attr] of type.attributes) {
        if (!attr.optional && !(k in value)) problems.push(`${path}.${k}: required by the variable's type`);
      }
      return problems;
    }
  }
}
