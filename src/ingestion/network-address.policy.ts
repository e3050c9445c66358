/**
 * Which network addresses the server may open a connection to when it fetches an image URL a
 * client gave. Anything that could reach the server's own machine, its private networks or a cloud
 * metadata service is refused, in every spelling: IPv4 ranges that are not publicly routable,
 * IPv6 outside global unicast, and IPv6 forms that carry an IPv4 address inside them
 * (IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64, 6to4, Teredo).
 *
 * The policy is an allow-list at heart: an IPv6 address must lie in global unicast 2000::/3 and
 * outside its special-purpose blocks; an IPv4 address must lie outside every block of IANA's
 * special-purpose registry that is not globally reachable. Addresses are parsed with ipaddr.js (a
 * small, widely used parser with CIDR matching), not with regular expressions, so that hex,
 * compressed and mixed notations are all understood the same way.
 *
 * Pure: no DNS here. The fetcher resolves a name once, checks every address with this module and
 * connects to a checked address (src/ingestion/image-url.fetcher.ts).
 */
import ipaddr from 'ipaddr.js';

type Block = { cidr: [ipaddr.IPv4 | ipaddr.IPv6, number]; reason: string };

const blocks = (list: [string, string][]): Block[] => list.map(([cidr, reason]) => ({ cidr: ipaddr.parseCIDR(cidr), reason }));

/** Cloud metadata endpoints, named before the ranges that contain them so logs say what they are. */
const METADATA = blocks([
  ['169.254.169.254/32', 'cloud metadata service'],
  ['169.254.170.2/32', 'cloud metadata service (container credentials)'],
  ['100.100.100.200/32', 'cloud metadata service'],
  ['fd00:ec2::254/128', 'cloud metadata service'],
]);

/** IPv4 blocks that are not publicly routable (IANA IPv4 special-purpose address registry). */
const IPV4_BLOCKED = blocks([
  ['0.0.0.0/8', 'unspecified ("this network")'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation (TEST-NET-1)'],
  ['192.88.99.0/24', '6to4 relay anycast (deprecated)'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

/** IPv6 blocks refused outright (checked before the embedded-IPv4 forms and the global-unicast rule). */
const IPV6_BLOCKED = blocks([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['::ffff:0:0:0/96', 'IPv4-translated (RFC 6145)'],
  ['::/96', 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::/48', 'local-use NAT64 (RFC 8215)'],
  ['100::/64', 'discard-only (RFC 6666)'],
  ['fc00::/7', 'unique local (ULA)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
]);

const TEREDO = ipaddr.parseCIDR('2001::/32');
const IETF_PROTOCOL_ASSIGNMENTS = ipaddr.parseCIDR('2001::/23');
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16');
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

function matchIn(address: ipaddr.IPv4 | ipaddr.IPv6, list: Block[]): string | null {
  for (const b of list) if (address.kind() === b.cidr[0].kind() && address.match(b.cidr)) return b.reason;
  return null;
}

const v4At = (parts: number[], index: number): ipaddr.IPv4 =>
  new ipaddr.IPv4([parts[index] >> 8, parts[index] & 0xff, parts[index + 1] >> 8, parts[index + 1] & 0xff]);

function ipv4Refusal(address: ipaddr.IPv4): string | null {
  return matchIn(address, METADATA) ?? matchIn(address, IPV4_BLOCKED);
}

function ipv6Refusal(address: ipaddr.IPv6): string | null {
  if (address.zoneId) return 'scoped address with a zone index';
  const direct = matchIn(address, METADATA) ?? matchIn(address, IPV6_BLOCKED);
  if (direct) return direct;
  const embedded = (kind: string, v4: ipaddr.IPv4): string | null => {
    const why = ipv4Refusal(v4);
    return why ? `${kind} address embedding ${v4.toString()} (${why})` : null;
  };
  if (address.match(NAT64)) return embedded('NAT64', v4At(address.parts, 6));
  if (address.match(SIX_TO_FOUR)) return embedded('6to4', v4At(address.parts, 1));
  if (address.match(TEREDO)) {
    // Teredo: the server's IPv4 address in bits 32-63, the client's, inverted, in bits 96-127.
    const client = v4At(
      address.parts.map((p) => p ^ 0xffff),
      6,
    );
    return embedded('Teredo', v4At(address.parts, 2)) ?? embedded('Teredo', client);
  }
  if (address.match(IETF_PROTOCOL_ASSIGNMENTS)) return 'IETF protocol assignments';
  if (!address.match(GLOBAL_UNICAST)) return 'not global unicast';
  return null;
}

/**
 * IPv6 with a dotted IPv4 tail ("::127.0.0.1", "64:ff9b::10.0.0.1") in plain hex groups: ipaddr.js
 * reads every "::a.b.c.d" as IPv4-mapped, which would misname IPv4-compatible addresses.
 */
function dottedTailToHex(address: string): string {
  const m = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return address;
  const [a, b, c, d] = m.slice(2).map(Number);
  if ([a, b, c, d].some((x) => x > 255)) return address;
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/**
 * Why a connection to `address` (an IPv4 or IPv6 address in any notation ipaddr.js reads) is
 * refused; null when it is a public address the server may fetch from.
 */
export function addressRefusal(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(dottedTailToHex(address));
  } catch {
    return 'not an IP address';
  }
  return parsed.kind() === 'ipv4' ? ipv4Refusal(parsed as ipaddr.IPv4) : ipv6Refusal(parsed as ipaddr.IPv6);
}

/** True when the server must not connect to `address`. */
export function isBlockedAddress(address: string): boolean {
  return addressRefusal(address) !== null;
}
