// BTF objects loaded from the kernel by id, kept for the duration of one call.
#pragma once

#include <cstdint>
#include <map>
#include <string>

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

// The name of type `type_id` in BTF object `btf_id` ("" if unavailable).
std::string BtfTypeName(BtfCache& cache, uint32_t btf_id, uint32_t type_id);

}  // namespace bpfscope
