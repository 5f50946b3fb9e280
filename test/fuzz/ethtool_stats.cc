// libFuzzer target: the two SIOCETHTOOL replies `ethtool -S` reads (ETHTOOL_GSTRINGS names,
// ETHTOOL_GSTATS values), with lengths and counts the fuzzer chooses.
// Input: u16 length of the strings buffer, the strings buffer, then the stats buffer.
#include <cstring>
#include <vector>

#include "netlink_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  uint16_t strings_len;
  std::memcpy(&strings_len, data, 2);
  data += 2;
  size -= 2;
  if (strings_len > size) strings_len = static_cast<uint16_t>(size);
  // Separate heap blocks, so reading past either one is an ASan report.
  std::vector<uint8_t> strings(data, data + strings_len), stats(data + strings_len, data + size);
  std::vector<std::string> names;
  std::vector<uint64_t> values;
  bpfscope::netlink::ParseEthtoolStats(strings.data(), strings.size(), stats.data(), stats.size(), &names, &values);
  if (names.size() != values.size()) __builtin_trap();
  return 0;
}
