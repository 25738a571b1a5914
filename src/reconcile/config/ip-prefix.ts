/**
 * IPv4 and IPv6 prefixes ("10.0.0.0/8", "2001:db8::/32", or a bare address
 * for one host) to bytes in network order and back, for LPM trie keys.
 * node:net validates the address syntax; the expansion of IPv6's "::" and
 * the canonical text form (RFC 5952) are done here.
 */
import { isIPv4, isIPv6 } from "node:net";

export interface IpPrefix {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  address: Buffer;
  /** Prefix length in bits. */
  length: number;
}

/**
 * Parses a prefix. Host bits beyond the prefix length are kept (see
 * networkOf), so the caller can tell the user about them.
 *
 * @example
 *     parseIpPrefix("10.0.0.0/8")  // { family: 4, address: <0a 00 00 00>, length: 8 }
 *     parseIpPrefix("2001:db8::1") // { family: 6, address: <20 01 0d b8 ... 01>, length: 128 }
 *     parseIpPrefix("10.0.0.0/33") // 'prefix length 33 is too long for an IPv4 address (at most 32)'
 */
export function parseIpPrefix(text: string): IpPrefix | string {
  const slash = text.indexOf("/");
  const host = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(host) ? 4 : isIPv6(host) && !host.includes("%") ? 6 : undefined;
  if (family === undefined) return `"${text}" is not an IPv4 or IPv6 address or prefix (like 10.0.0.0/8 or 2001:db8::/32)`;
  const bits = family === 4 ? 32 : 128;
  let length = bits;
  if (slash >= 0) {
    const written = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(written)) return `"${text}": the prefix length after "/" must be a number from 0 to ${bits}`;
    length = Number(written);
    if (length > bits) return `"${text}": prefix length ${length} is too long for an IPv${family} address (at most ${bits})`;
  }
  const address = family === 4 ? Buffer.from(host.split(".").map(Number)) : ipv6Bytes(host);
  return { family, address, length };
}

/**
 * The prefix with every bit beyond its length cleared.
 *
 * @example
 *     formatIpPrefix(networkOf(parseIpPrefix("10.0.0.1/8") as IpPrefix)) // "10.0.0.0/8"
 */
export function networkOf(prefix: IpPrefix): IpPrefix {
  const address = Buffer.from(prefix.address);
  for (let bit = prefix.length; bit < address.length * 8; bit++) address[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { ...prefix, address };
}

/**
 * The canonical text of a prefix, always with its length.
 *
 * @example
 *     formatIpPrefix({ family: 6, address: Buffer.from("20010db8000000000000000000000001", "hex"), length: 128 }) // "2001:db8::1/128"
 */
export function formatIpPrefix(prefix: IpPrefix): string {
  const host = prefix.family === 4 ? [...prefix.address].join(".") : ipv6Text(prefix.address);
  return `${host}/${prefix.length}`;
}

/** A valid IPv6 address (node:net's isIPv6) to 16 bytes; handles "::" and a trailing dotted IPv4 part. */
function ipv6Bytes(text: string): Buffer {
  const groups = (part: string): number[] => {
    if (part === "") return [];
    return part.split(":").flatMap((group) => {
      if (!group.includes(".")) return [parseInt(group, 16)];
      const [a, b, c, d] = group.split(".").map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const [head, tail] = text.split("::") as [string, string | undefined];
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, 2 * i));
  return bytes;
}

/** RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups (the first of equals) as "::". */
function ipv6Text(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(2 * i));
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = Math.max(i, j);
  }
  const hex = (part: number[]) => part.map((g) => g.toString(16)).join(":");
  if (best.start < 0) return hex(groups);
  return `${hex(groups.slice(0, best.start))}::${hex(groups.slice(best.start + best.length))}`;
}
