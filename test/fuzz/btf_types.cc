// libFuzzer target: raw BTF (header, type section, string section) parsed by libbpf's btf__new,
// then the type table a map's key and value types become for the TS decoder (btf_types.cc):
// names, sizes, members, enums, arrays of chars, modifier chains, datasecs.
// Input: u32 key type id, u32 value type id, then the BTF bytes.
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <vector>

#include "btf_types.h"

// libbpf explains every refusal on stderr; millions of them would only bury libFuzzer's output.
static int Quiet(enum libbpf_print_level, const char*, va_list) { return 0; }

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  libbpf_set_print(Quiet);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint32_t key, value;
  std::memcpy(&key, data, 4);
  std::memcpy(&value, data + 4, 4);
  std::vector<uint8_t> raw(data + 8, data + size);
  struct btf* btf = btf__new(raw.data(), raw.size());
  if (!btf) return 0;  // libbpf refused it: nothing of ours runs
  // Small ids reach real types; the raw values also probe ids past the end.
  uint32_t count = btf__type_cnt(btf);
  bpfscope::DescribeBtfTypeList(btf, {key % (count + 1), value % (count + 1), key, value});
  btf__free(btf);
  return 0;
}
