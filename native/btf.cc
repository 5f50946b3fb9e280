#include "btf.h"

#include <bpf/btf.h>

namespace bpfscope {

BtfCache::~BtfCache() {
  for (auto& entry : loaded_) btf__free(entry.second);
}

const struct btf* BtfCache::Get(uint32_t id) {
  auto it = loaded_.find(id);
  if (it != loaded_.end()) return it->second;
  struct btf* loaded = btf__load_from_kernel_by_id(id);
  if (!loaded) return nullptr;  // not cached: a later call may have the privilege or the object
  loaded_.emplace(id, loaded);
  return loaded;
}

std::string BtfTypeName(BtfCache& cache, uint32_t btf_id, uint32_t type_id) {
  const struct btf* btf = cache.Get(btf_id);
  if (!btf) return {};
  const struct btf_type* type = btf__type_by_id(btf, type_id);
  if (!type) return {};
  const char* name = btf__name_by_offset(btf, type->name_off);
  return name ? name : "";
}

}  // namespace bpfscope
