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

// Appends the new indexes of added keys, the old indexes of removed ones, and (old, new) index
// pairs of keys whose values differ. Keys are compared as bytes; a key repeated within one dump
// pairs with one occurrence on the other side each.
void DiffPacked(const PackedDump& old_dump, const PackedDump& new_dump, uint32_t ks, uint32_t vs,
                std::vector<uint32_t>* added, std::vector<uint32_t>* removed, std::vector<uint32_t>* changed);

}  // namespace bpfscope::maps
