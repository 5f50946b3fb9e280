// Comparing two dumps of one map held as packed records (keys in one buffer, values in another):
// what was added, removed or changed. Bytes only, no N-API, so test/fuzz/map_diff links it alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bpfscope::maps {

struct PackedDump {
  const uint8_t* keys;    // count × key_size bytes
  const uint8_t* values;  // count × value_stride bytes
  uint32_t count;
};

// The values of a dump: `stride` bytes each. A per-CPU map's (cpus > 0) hold one slot of
// round_up(size, 8) bytes per possible CPU, stride = cpus × slot, and only a slot's first `size`
// bytes mean anything: the kernel copies the rest from whatever user space last wrote there.
struct ValueShape {
  uint32_t stride;
  uint32_t size;  // one CPU's value; the stride itself for other maps
  uint32_t cpus;  // 0 for maps with one value per key
};

// Appends the new indexes of added keys, the old indexes of removed ones, and (old, new) index
// pairs of keys whose values differ in a meaningful byte (padding of per-CPU slots aside). Keys
// are compared as bytes; a key repeated within one dump pairs with one occurrence on the other
// side each.
void DiffPacked(const PackedDump& old_dump, const PackedDump& new_dump, uint32_t ks, const ValueShape& values,
                std::vector<uint32_t>* added, std::vector<uint32_t>* removed, std::vector<uint32_t>* changed);

// Drops the records whose key an earlier record has, in place (the first of each key stays, and
// the rest keep their order), and returns how many records are left. A dump made by walking
// get_next_key (the kernel's generic batch, an LPM trie's, or bpftool's iteration) restarts from
// the first key when the key it stands on was deleted, and reads keys it already read again.
uint32_t DropRepeatedKeys(uint8_t* keys, uint8_t* values, uint32_t count, uint32_t ks, size_t vs);

}  // namespace bpfscope::maps
