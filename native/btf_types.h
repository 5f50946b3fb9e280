// The BTF types reachable from a map's key and value, described as plain records for the TS
// decoder (src/btf.ts). Reads only a parsed `struct btf` (libbpf), no N-API, so
// test/fuzz/btf_types links it alone with BTF bytes from btf__new().
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

struct btf;

namespace bpfscope {

struct BtfMemberDesc {
  std::string name;
  uint32_t type = 0, bit_offset = 0, bit_size = 0;
};

struct BtfEnumValueDesc {
  std::string name;
  uint64_t value = 0;  // enum: the u32 as stored; enum64: the whole value
};

struct BtfVarDesc {
  uint32_t type = 0, offset = 0;
};

// One type; which fields mean something depends on `kind` (see DescribeBtfTypes in btf.h).
struct BtfTypeDesc {
  uint32_t id = 0;
  std::string kind;  // int ptr float array struct union enum alias var datasec unsupported
  std::string name;  // "" when anonymous
  int64_t size = -1;  // btf__resolve_size, -1 when it cannot be resolved
  std::string encoding;  // int: signed unsigned char bool
  uint32_t bits = 0, bit_offset = 0;  // int
  uint32_t type = 0;  // array element, alias / var target
  uint32_t length = 0;  // array
  bool chars = false;  // array of char-like elements
  bool is_signed = false, enum64 = false;  // enum
  std::vector<BtfMemberDesc> members;
  std::vector<BtfEnumValueDesc> values;
  std::vector<BtfVarDesc> vars;
};

// Every type reachable from `roots` (0 = void, skipped), each once.
std::vector<BtfTypeDesc> DescribeBtfTypeList(const struct btf* btf, std::initializer_list<uint32_t> roots);

}  // namespace bpfscope
