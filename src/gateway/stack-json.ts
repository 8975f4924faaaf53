/**
 * Reading cdk.tf.json: its shape, the startup error, and Terraform's string templates
 * resolved against the few references the local gateway knows.
 *
 * Every string in Terraform JSON is a template (https://developer.hashicorp.com/terraform/language/syntax/json#expression-mapping):
 * `${ref}` interpolates, `%{...}` is a directive, and `$${` / `%%{` are the escapes for a
 * literal `${` / `%{` (how an IAM policy variable such as `$${aws:username}` must be
 * written). The gateway interpolates known references only; a function call, a directive
 * or an unknown reference is a startup error naming the resource and attribute.
 */

export class StackLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackLoadError';
  }
}

/** A stack name as the cdktf app writes it under cdktf.out/stacks: letters, digits, `-` and `_`. */
export const STACK_NAME = /^[A-Za-z0-9_-]+$/;

export type Attributes = Record<string, unknown>;
export type Block = Record<string, Record<string, Attributes>>;

export interface TerraformJson {
  readonly resource?: Block;
  readonly data?: Block;
  readonly provider?: Record<string, Attributes[]>;
}

/** `type.name: attribute problem`, the one shape of every startup error about the stack. */
export function fail(type: string, name: string, attribute: string, problem: string): never {
  throw new StackLoadError(`${type}.${name}: ${attribute} ${problem}`);
}

/** A string with no interpolation at all (names, paths, route keys). */
export function literal(value: unknown, type: string, name: string, attribute: string): string {
  if (typeof value !== 'string' || value.includes('${')) fail(type, name, attribute, `is ${JSON.stringify(value)}; expected a literal string`);
  return value;
}

/** A value, or a function computing it the first time it is referred to. */
export type ReferenceValue = string | (() => string);

/** The Terraform references the gateway knows how to resolve, and nothing else. */
export class References {
  private readonly values = new Map<string, ReferenceValue>();
  private readonly computing = new Set<string>();

  set(reference: string, value: ReferenceValue): void {
    this.values.set(reference, value);
  }

  /**
   * Evaluates the template `value` (a string attribute of `type.name`): known references are
   * replaced by their values, `$${` and `%%{` by `${` and `%{`; anything else is an error
   * naming where it was.
   */
  resolve(value: unknown, type: string, name: string, attribute: string): string {
    if (typeof value !== 'string') fail(type, name, attribute, `is ${JSON.stringify(value)}; expected a string`);
    let out = '';
    let i = 0;
    while (i < value.length) {
      const c = value[i];
      if ((c === '$' || c === '%') && value[i + 1] === c && value[i + 2] === '{') {
        out += `${c}{`;
        i += 3;
        continue;
      }
      if ((c === '$' || c === '%') && value[i + 1] === '{') {
        const end = closingBrace(value, i + 2);
        if (end < 0) fail(type, name, attribute, `contains ${value.slice(i)}, an unterminated template sequence`);
        const whole = value.slice(i, end + 1);
        if (c === '%') fail(type, name, attribute, `contains ${whole}, a template directive, which the local gateway does not evaluate`);
        const expression = value.slice(i + 2, end).replace(/^\s*~?\s*|\s*~?\s*$/g, '');
        const call = /^([A-Za-z_][\w-]*(?:::[\w-]+)*)\s*\(/.exec(expression);
        if (call) fail(type, name, attribute, `contains \${${call[1]}(...)}, a Terraform function call, which the local gateway does not evaluate`);
        out += this.lookup(expression, whole, type, name, attribute);
        i = end + 1;
        continue;
      }
      out += c;
      i += 1;
    }
    return out;
  }

  private lookup(reference: string, whole: string, type: string, name: string, attribute: string): string {
    const value = this.values.get(reference);
    if (value === undefined) {
      fail(type, name, attribute, `contains ${whole}, which the local gateway cannot resolve (it resolves only: ${this.describe()})`);
    }
    if (typeof value === 'string') return value;
    if (this.computing.has(reference)) fail(type, name, attribute, `contains ${whole}, which refers back to itself`);
    this.computing.add(reference);
    try {
      const computed = value();
      this.values.set(reference, computed);
      return computed;
    } finally {
      this.computing.delete(reference);
    }
  }

  /** The known references, attributes of one address grouped: `aws_iam_user.x.{name,id}`. */
  private describe(): string {
    const byAddress = new Map<string, string[]>();
    for (const reference of this.values.keys()) {
      const dot = reference.lastIndexOf('.');
      const address = reference.slice(0, dot);
      byAddress.set(address, [...(byAddress.get(address) ?? []), reference.slice(dot + 1)]);
    }
    return [...byAddress].map(([address, attributes]) => (attributes.length === 1 ? `${address}.${attributes[0]}` : `${address}.{${attributes.join(',')}}`)).join(', ');
  }
}

/** Index of the `}` closing an interpolation whose expression starts at `start`, or -1. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      for (i += 1; i < text.length && text[i] !== '"'; i += 1) if (text[i] === '\\') i += 1;
    } else if (c === '{') {
      depth += 1;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth -= 1;
    }
  }
  return -1;
}
