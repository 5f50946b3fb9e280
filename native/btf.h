// BTF objects loaded from the kernel by id, kept for the duration of one call; the running
// kernel's own structs, as its BTF declares them.
#pragma once

#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

struct btf;

namespace bpfscope {

class BtfCache {
 public:
  BtfCache() = default;
  BtfCache(const BtfCache&) = delete;
  BtfCache& operator=(const BtfCache&) = delete;
  ~BtfCache();
  // The kernel's BTF object `id`, loaded once; nullptr if it cannot be read (errno set).
  const struct btf* Get(uint32_t id);

 private:
  std::map<uint32_t, struct btf*> loaded_;
};

// A struct of the running kernel, as its BTF (vmlinux) declares it. Where a struct's size cannot
// tell which members a kernel has (one added inside a union that did not grow), its BTF can.
class KernelStruct {
 public:
  // Parses the kernel's BTF (/sys/kernel/btf/vmlinux, a few MiB): make one and keep its answers.
  explicit KernelStruct(const char* name);
  KernelStruct(const KernelStruct&) = delete;
  KernelStruct& operator=(const KernelStruct&) = delete;
  ~KernelStruct();
  // Whether it has member `path`: names joined by dots ("perf_event.uprobe.cookie"), looking
  // through anonymous structs and unions as C does. False when the kernel has no BTF.
  bool Has(std::string_view path) const;
  // Why the kernel's BTF could not be read (ENOENT: the kernel has none); 0 once it was.
  int error() const { return error_; }

 private:
  struct btf* btf_;
  int id_ = 0;
  int error_ = 0;
};

// The name of type `type_id` in BTF object `btf_id` ("" if unavailable).
std::string BtfTypeName(BtfCache& cache, uint32_t btf_id, uint32_t type_id);

// A compact table of every type reachable from `roots` (0 = none), for decoding in TS:
// { "<id>": { kind, name?, size?, … } } with, per kind,
//   int: encoding ('signed'|'unsigned'|'char'|'bool'), bits, bitOffset
//   array: type, length, chars (elements are char-like, so bpftool may print a string)
//   struct/union: members [{ name, type, bitOffset, bitSize }]
//   enum: signed, values [{ name, value }] (enum64: value is a BigInt)
//   alias (typedef/const/volatile/restrict/type_tag), var: type;  datasec: vars [{ type, offset }]
//   ptr, float, and 'unsupported' for kinds a map value cannot hold.
Napi::Object DescribeBtfTypes(Napi::Env env, const struct btf* btf, std::initializer_list<uint32_t> roots);

}  // namespace bpfscope

namespace bpfscope::btf {

// Registers listBtf() and getBtfInfo(id): `bpftool btf show` of every BTF object, or of one; and
// btfRaw(id): the object's raw bytes, its name and whether the kernel made it (`bpftool btf dump`).
void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::btf
