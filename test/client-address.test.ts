import { describe, expect, it } from 'vitest';
import { addressBucket } from '../src/lib/client-address.ts';

describe('the unit a client address is counted by', () => {
  it('is an IPv4 address, the /64 of an IPv6 one, and the IPv4 address IPv6 carries', () => {
    expect(addressBucket('192.0.2.7')).toBe('192.0.2.7');
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:DB8:1:2::ffff%eth0')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('::ffff:192.0.2.7')).toBe('192.0.2.7');
    // NAT64: every IPv4 client behind the translator would otherwise share one /64.
    expect(addressBucket('64:ff9b::192.0.2.7')).toBe('192.0.2.7');
    expect(addressBucket('64:ff9b::c000:208')).toBe('192.0.2.8');
    expect(addressBucket('64:ff9b::c000:209')).not.toBe(addressBucket('64:ff9b::c000:208'));
  });
});
