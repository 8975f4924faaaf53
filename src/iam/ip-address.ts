/**
 * IPv4 and IPv6 addresses and CIDR blocks for the IpAddress / NotIpAddress operators, in
 * BigInt arithmetic (a /0 block is the whole space; 32-bit shifts in JavaScript would wrap).
 * IAM User Guide, "IAM JSON policy elements: Condition operators", IP address condition
 * operators: "The value must be in the standard CIDR format (for example, 203.0.113.0/24 or
 * 2001:DB8:1234:5678::/64). If you specify an IP address without the associated routing prefix,
 * IAM uses the default prefix value of /32." (for IPv6, /128.)
 */

export interface IpBlock {
  readonly version: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

const V4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): bigint | undefined {
  const m = V4_RE.exec(text);
  if (!m) return undefined;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255 || (m[i].length > 1 && m[i].startsWith('0'))) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] | undefined => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** An address: `{version, value}`, or undefined when `text` is not one. */
export function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const v4 = parseV4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = text.includes(':') ? parseV6(text) : undefined;
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/** A CIDR block (or a bare address: /32, /128), or undefined when malformed. */
export function parseCidr(text: string): IpBlock | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const bits = address.version === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return undefined;
    prefix = Number(p);
  }
  return { version: address.version, network: address.value >> BigInt(bits - prefix), prefix };
}

/** Whether `address` lies in `block` (an IPv4 address never lies in an IPv6 block, nor the reverse). */
export function inBlock(block: IpBlock, address: { version: 4 | 6; value: bigint }): boolean {
  if (block.version !== address.version) return false;
  const bits = block.version === 4 ? 32 : 128;
  return address.value >> BigInt(bits - block.prefix) === block.network;
}
