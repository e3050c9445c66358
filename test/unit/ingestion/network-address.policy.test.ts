import { addressRefusal, isBlockedAddress } from '../../../src/ingestion/network-address.policy';

describe('addressRefusal', () => {
  it.each([
    // IPv4 loopback, in the spellings ipaddr.js and URL parsers accept
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['127.1', /loopback/],
    ['2130706433', /loopback/],
    ['0x7f000001', /loopback/],
    ['0177.0.0.1', /loopback/],
    // unspecified, private, CGNAT, link-local, metadata
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['10.0.0.1', /private/],
    ['10.255.255.255', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['169.254.0.1', /link-local/],
    ['169.254.169.254', /metadata/],
    ['169.254.170.2', /metadata/],
    ['100.100.100.200', /metadata/],
    // reserved, documentation, benchmarking, multicast, broadcast
    ['192.0.0.170', /IETF protocol/],
    ['192.0.2.1', /documentation/],
    ['198.51.100.7', /documentation/],
    ['203.0.113.9', /documentation/],
    ['198.18.0.1', /benchmarking/],
    ['198.19.255.255', /benchmarking/],
    ['192.88.99.1', /6to4 relay/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['240.0.0.1', /reserved/],
    ['255.255.255.255', /broadcast/],
    // IPv6 loopback, unspecified, ULA, link-local, site-local, multicast, documentation, discard
    ['::1', /loopback/],
    ['0:0:0:0:0:0:0:1', /loopback/],
    ['::', /unspecified/],
    ['fc00::1', /unique local/],
    ['fd12:3456:789a::1', /unique local/],
    ['fd00:ec2::254', /metadata/],
    ['fe80::1', /link-local/],
    ['febf::1', /link-local/],
    ['fec0::1', /site-local/],
    ['ff02::1', /multicast/],
    ['ff05::1:3', /multicast/],
    ['2001:db8::1', /documentation/],
    ['3fff::1', /documentation/],
    ['100::1', /discard/],
    // IPv4 inside IPv6: mapped (dotted and hex), compatible, translated
    ['::ffff:127.0.0.1', /IPv4-mapped/],
    ['::ffff:7f00:1', /IPv4-mapped/],
    ['::ffff:a9fe:a9fe', /metadata|IPv4-mapped/],
    ['::ffff:8.8.8.8', /IPv4-mapped/],
    ['0:0:0:0:0:ffff:7f00:0001', /IPv4-mapped/],
    ['::127.0.0.1', /IPv4-compatible/],
    ['::7f00:1', /IPv4-compatible/],
    ['::10.0.0.1', /IPv4-compatible/],
    ['::ffff:0:7f00:1', /IPv4-translated/],
    // NAT64 (well-known prefix embeds IPv4; local-use prefix refused outright)
    ['64:ff9b::7f00:1', /NAT64 address embedding 127\.0\.0\.1 \(loopback\)/],
    ['64:ff9b::127.0.0.1', /NAT64 .*loopback/],
    ['64:ff9b::a9fe:a9fe', /NAT64 .*metadata/],
    ['64:ff9b::c0a8:101', /NAT64 .*private/],
    ['64:ff9b:1::7f00:1', /local-use NAT64/],
    ['64:ff9b:1:abcd::1', /local-use NAT64/],
    // 6to4 and Teredo embedding blocked IPv4
    ['2002:7f00:1::1', /6to4 address embedding 127\.0\.0\.1/],
    ['2002:c0a8:101::1', /6to4 .*private/],
    ['2002:a9fe:a9fe::1', /6to4 .*metadata/],
    ['2001:0:7f00:1::1', /Teredo address embedding 127\.0\.0\.1/],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', /Teredo address embedding 10\.0\.0\.1/],
    // other special-purpose IPv6 and everything outside global unicast
    ['2001:2::1', /IETF protocol/],
    ['2001:10::1', /IETF protocol/],
    ['4000::1', /not global unicast/],
    ['5f00::1', /not global unicast/],
    ['fe80::1%eth0', /zone/],
    // not addresses at all
    ['localhost', /not an IP address/],
    ['', /not an IP address/],
    ['1.2.3.4.5', /not an IP address/],
  ])('refuses %s', (address, reason) => {
    expect(addressRefusal(address)).toMatch(reason);
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '192.0.3.1',
    '198.17.255.255',
    '198.20.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:81b::200e',
    '2001:4860:4860::8888',
    '64:ff9b::808:808', // NAT64 of 8.8.8.8
    '2002:808:808::1', // 6to4 of 8.8.8.8
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7', // Teredo, server 65.54.227.120, client 8.8.8.8
  ])('allows the public address %s', (address) => {
    expect(addressRefusal(address)).toBeNull();
    expect(isBlockedAddress(address)).toBe(false);
  });
});
