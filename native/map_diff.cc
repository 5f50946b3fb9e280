#include "map_diff.h"

#include <cstring>
#include <vector>

namespace bpfscope::maps {

namespace {

// Key hashing for the diff: 8 bytes at a time, multiply-xorshift mixing.
uint64_t HashKey(const uint8_t* key, size_t len) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t word;
    std::memcpy(&word, key + i, 8);
    h = (h ^ word) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  if (len > i) std::memcpy(&tail, key + i, len - i);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

// memcmp of 0 bytes is still undefined with a null pointer, which an empty buffer may have
// (found by test/fuzz/map_diff).
bool Same(const uint8_t* a, const uint8_t* b, size_t n) { return n == 0 || std::memcmp(a, b, n) == 0; }

// Whether two values mean the same. One memcmp of the whole value first: an unchanged value costs
// no more than before, and only a per-CPU value that differs somewhere is compared slot by slot,
// without the padding that user space, not the program, last wrote.
bool SameValue(const uint8_t* a, const uint8_t* b, const ValueShape& v) {
  if (Same(a, b, v.stride)) return true;
  if (v.cpus == 0 || v.size % 8 == 0) return false;
  const size_t slot = (size_t(v.size) + 7) & ~size_t(7);
  for (uint32_t cpu = 0; cpu < v.cpus; cpu++)
    if (!Same(a + cpu * slot, b + cpu * slot, v.size)) return false;
  return true;
}

}  // namespace

void DiffPacked(const PackedDump& old_dump, const PackedDump& new_dump, uint32_t ks, const ValueShape& values,
                std::vector<uint32_t>* added, std::vector<uint32_t>* removed, std::vector<uint32_t>* changed) {
  const size_t vs = values.stride;
  const uint8_t *okd = old_dump.keys, *ovd = old_dump.values, *nkd = new_dump.keys, *nvd = new_dump.values;
  const uint32_t old_count = old_dump.count, new_count = new_dump.count;
  if (old_count == new_count && Same(okd, nkd, size_t(old_count) * ks)) {
    // Same keys in the same order (an unchanged hash map dumps in bucket order): compare in place.
    for (uint32_t i = 0; i < new_count; i++) {
      if (!SameValue(ovd + size_t(i) * vs, nvd + size_t(i) * vs, values)) {
        changed->push_back(i);
        changed->push_back(i);
      }
    }
  } else {
    // Open addressing over the old keys: slot = old index + 1, 0 = empty.
    static thread_local std::vector<uint32_t> table;
    static thread_local std::vector<uint8_t> seen;
    size_t slots = 16;
    while (slots < size_t(old_count) * 2) slots <<= 1;
    table.assign(slots, 0);
    seen.assign(old_count, 0);
    const size_t mask = slots - 1;
    for (uint32_t i = 0; i < old_count; i++) {
      size_t s = HashKey(okd + size_t(i) * ks, ks) & mask;
      while (table[s]) s = (s + 1) & mask;
      table[s] = i + 1;
    }
    for (uint32_t j = 0; j < new_count; j++) {
      const uint8_t* key = nkd + size_t(j) * ks;
      size_t s = HashKey(key, ks) & mask;
      uint32_t found = 0;
      for (; table[s]; s = (s + 1) & mask) {
        uint32_t i = table[s] - 1;
        if (!seen[i] && Same(okd + size_t(i) * ks, key, ks)) {
          found = table[s];
          break;
        }
      }
      if (!found) {
        added->push_back(j);
        continue;
      }
      uint32_t i = found - 1;
      seen[i] = 1;
      if (!SameValue(ovd + size_t(i) * vs, nvd + size_t(j) * vs, values)) {
        changed->push_back(i);
        changed->push_back(j);
      }
    }
    for (uint32_t i = 0; i < old_count; i++)
      if (!seen[i]) removed->push_back(i);
  }
}

uint32_t DropRepeatedKeys(uint8_t* keys, uint8_t* values, uint32_t count, uint32_t ks, size_t vs) {
  if (ks == 0) return count;  // keyless maps (queue, stack) are not dumped
  // Open addressing over the records kept so far: slot = kept index + 1, 0 = empty.
  static thread_local std::vector<uint32_t> table;
  size_t slots = 16;
  while (slots < size_t(count) * 2) slots <<= 1;
  table.assign(slots, 0);
  const size_t mask = slots - 1;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t* key = keys + size_t(i) * ks;
    size_t s = HashKey(key, ks) & mask;
    bool repeated = false;
    for (; table[s]; s = (s + 1) & mask) {
      if (Same(keys + size_t(table[s] - 1) * ks, key, ks)) {
        repeated = true;
        break;
      }
    }
    if (repeated) continue;
    if (kept != i) {
      std::memcpy(keys + size_t(kept) * ks, key, ks);
      if (vs) std::memcpy(values + size_t(kept) * vs, values + size_t(i) * vs, vs);
    }
    table[s] = ++kept;
  }
  return kept;
}

}  // namespace bpfscope::maps
