// struct ct_entry laid out by hand, for the conntrack formatter's tests.

/**
 * A 56-byte ct_entry: the u64s at 0/8/16/24 and the u16 at 40 as given (what each version reads
 * there differs), lifetime 21600, flags (default seen_non_syn|from_tunnel), rev_nat_index 5
 * (network order), tx/rx seen 0x12/0x10, src_sec_id 12345, last reports 100/200.
 */
export function ctEntry(o: { q0?: bigint; q8?: bigint; q16?: bigint; q24?: bigint; flags?: number; at40?: number } = {}): Buffer {
  const b = Buffer.alloc(56);
  b.writeBigUInt64LE(o.q0 ?? 0n, 0);
  b.writeBigUInt64LE(o.q8 ?? 0n, 8);
  b.writeBigUInt64LE(o.q16 ?? 0n, 16);
  b.writeBigUInt64LE(o.q24 ?? 0n, 24);
  b.writeUInt32LE(21600, 32); // lifetime
  b.writeUInt16LE(o.flags ?? 0b100_0001_0000, 36); // seen_non_syn (bit4), from_tunnel (bit10)
  b.writeUInt16BE(5, 38); // rev_nat_index, in network order as the LB maps keep it
  b.writeUInt16LE(o.at40 ?? 0, 40);
  b.writeUInt8(0x12, 42); // tx_flags_seen
  b.writeUInt8(0x10, 43); // rx_flags_seen
  b.writeUInt32LE(12345, 44); // src_sec_id
  b.writeUInt32LE(100, 48);
  b.writeUInt32LE(200, 52);
  return b;
}
