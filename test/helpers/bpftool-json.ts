// Comparing with bpftool's JSON: it prints u64 values as bare numbers, which JSON.parse rounds
// above 2^53, and BTF bitfields and 128-bit integers as "0x…" strings.

/** JSON.parse that keeps integers of 16+ digits exact, as decimal strings. */
export function parseBigJson<T = unknown>(text: string): T {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"')) as T;
}

/**
 * bpftool's formatted value with each number written as a decimal string wherever bpfscope has a
 * number or bigint (so "0x1f", 31 and 31n all read "31"); `ours` guides where numbers are.
 */
export function sameMeaningAs(theirs: unknown, ours: unknown): unknown {
  if (typeof ours === 'number' || typeof ours === 'bigint') {
    return typeof theirs === 'number' || typeof theirs === 'string' ? BigInt(theirs).toString() : theirs;
  }
  if (Array.isArray(ours) && Array.isArray(theirs)) return theirs.map((t, i) => sameMeaningAs(t, ours[i]));
  if (ours && typeof ours === 'object' && theirs && typeof theirs === 'object' && !Array.isArray(theirs)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(theirs)) out[k] = sameMeaningAs(v, (ours as Record<string, unknown>)[k]);
    return out;
  }
  return theirs;
}

/** bpfscope's decoded value with every number and bigint as a decimal string. */
export function canonical(ours: unknown): unknown {
  if (typeof ours === 'number' || typeof ours === 'bigint') return BigInt(ours).toString();
  if (Array.isArray(ours)) return ours.map(canonical);
  if (ours && typeof ours === 'object') {
    return Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, canonical(v)]));
  }
  return ours;
}
