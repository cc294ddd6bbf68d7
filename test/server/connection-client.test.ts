import { describe, expect, it } from 'vitest';
import { connectionClient } from '../../server/http/connection-guard.ts';

describe('whom a connection counts against', () => {
  it('is the address for IPv4, mapped or not', () => {
    expect(connectionClient('192.0.2.7')).toBe('192.0.2.7');
    expect(connectionClient('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('is the /64 network for IPv6, however the address is written', () => {
    const network = '2001:db8:0:1::/64';
    expect(connectionClient('2001:db8:0:1::1')).toBe(network);
    expect(connectionClient('2001:db8:0:1:ffff:ffff:ffff:ffff')).toBe(network);
    expect(connectionClient('2001:0db8:0000:0001:0000:0000:0000:0002')).toBe(network);
    expect(connectionClient('2001:db8::1:2:3:4')).toBe('2001:db8:0:0::/64');
    expect(connectionClient('2001:db8:0:2::1')).not.toBe(network);
    expect(connectionClient('::1')).toBe('0:0:0:0::/64');
    expect(connectionClient('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
