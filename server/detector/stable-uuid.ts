// Name-based (version 5, SHA-1) UUIDs: the local detector gives each label, its project and its iteration
// a GUID that never changes between runs or machines, as a Custom Vision project's tag ids never do.
import { createHash } from 'node:crypto';

// An arbitrary, fixed namespace for Sightline's local detector.
const NAMESPACE = Buffer.from('5b0c9a3e7d2f4c18a6e1f0b2c3d4e5f6', 'hex');

export function stableUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
