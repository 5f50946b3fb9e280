// libFuzzer target: the poller's diff of two packed dumps (keys and values in separate buffers),
// and the dedupe of a dump's repeated keys (DropRepeatedKeys),
// with key sizes, value strides and counts the fuzzer chooses, including 0 and repeated keys.
// Input: u8 key size, u8 value stride, u8 old count, u8 new count, then the old keys, old values,
// new keys and new values (counts are cut to what the bytes hold). The key size byte's high values
// (65 and up: key size byte / 65 = 1..3) make a stride that is a multiple of 8 a per-CPU value of
// stride / 8 slots holding 8 - that many meaningful bytes each.
#include <cstring>
#include <vector>

#include "map_diff.h"

using bpfscope::maps::DiffPacked;
using bpfscope::maps::DropRepeatedKeys;
using bpfscope::maps::PackedDump;
using bpfscope::maps::ValueShape;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t ks = data[0] % 65, vs = data[1] % 129, old_count = data[2], new_count = data[3];
  uint32_t padding = data[0] / 65;
  ValueShape shape = padding && vs && vs % 8 == 0 ? ValueShape{vs, 8 - padding, vs / 8} : ValueShape{vs, vs, 0};
  data += 4;
  size -= 4;
  size_t record = ks + vs;
  if (record == 0) return 0;
  if (size_t(old_count) * record > size) old_count = static_cast<uint32_t>(size / record);
  size -= size_t(old_count) * record;
  if (size_t(new_count) * record > size) new_count = static_cast<uint32_t>(size / record);
  // Four separate heap blocks of exactly count × size bytes, so any overread is an ASan report.
  auto take = [&](size_t n) {
    std::vector<uint8_t> v(data, data + n);
    data += n;
    return v;
  };
  std::vector<uint8_t> ok = take(size_t(old_count) * ks), ov = take(size_t(old_count) * vs);
  std::vector<uint8_t> nk = take(size_t(new_count) * ks), nv = take(size_t(new_count) * vs);
  std::vector<uint32_t> added, removed, changed;
  DiffPacked({ok.data(), ov.data(), old_count}, {nk.data(), nv.data(), new_count}, ks, shape, &added, &removed, &changed);
  // Every new record is added or matched exactly once, every old one removed or matched once: the
  // matched pairs counted from either side agree.
  if (added.size() > new_count || removed.size() > old_count || changed.size() % 2 ||
      new_count - added.size() != old_count - removed.size())
    __builtin_trap();
  // The new dump without repeated keys: each distinct key once, in the order of first readings.
  const std::vector<uint8_t> read = nk;
  uint32_t kept = DropRepeatedKeys(nk.data(), nv.data(), new_count, ks, vs), distinct = 0;
  auto key = [ks](const std::vector<uint8_t>& keys, uint32_t i) { return keys.data() + size_t(i) * ks; };
  for (uint32_t i = 0; ks && i < new_count; i++) {
    bool first = true;
    for (uint32_t j = 0; j < i && first; j++) first = std::memcmp(key(read, j), key(read, i), ks) != 0;
    if (first && (distinct >= kept || std::memcmp(key(nk, distinct), key(read, i), ks) != 0)) __builtin_trap();
    distinct += first;
  }
  if (ks && kept != distinct) __builtin_trap();
  return 0;
}
