#include "btf.h"

#include <bpf/btf.h>

#include <cstring>
#include <set>
#include <vector>

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

namespace {

// An array of char-like elements (int of size 1, encoded as char or named "char", behind
// modifiers but not typedefs): bpftool's is_str_array test before it looks at the bytes.
bool CharElements(const struct btf* btf, uint32_t elem) {
  const struct btf_type* t = btf__type_by_id(btf, elem);
  while (t && btf_is_mod(t)) t = btf__type_by_id(btf, t->type);
  if (!t || !btf_is_int(t) || t->size != 1) return false;
  return btf_int_encoding(t) == BTF_INT_CHAR || std::strcmp(btf__name_by_offset(btf, t->name_off), "char") == 0;
}

const char* IntEncoding(const struct btf_type* t) {
  uint8_t enc = btf_int_encoding(t);
  if (enc & BTF_INT_CHAR) return "char";
  if (enc & BTF_INT_BOOL) return "bool";
  return enc & BTF_INT_SIGNED ? "signed" : "unsigned";
}

Napi::Object Describe(Napi::Env env, const struct btf* btf, uint32_t id, std::vector<uint32_t>& next) {
  Napi::Object o = Napi::Object::New(env);
  const struct btf_type* t = btf__type_by_id(btf, id);
  if (!t) {
    o.Set("kind", "unsupported");
    return o;
  }
  const char* name = btf__name_by_offset(btf, t->name_off);
  if (name && *name) o.Set("name", name);
  long long size = btf__resolve_size(btf, id);
  if (size >= 0) o.Set("size", static_cast<double>(size));
  switch (btf_kind(t)) {
    case BTF_KIND_INT:
      o.Set("kind", "int");
      o.Set("encoding", IntEncoding(t));
      o.Set("bits", btf_int_bits(t));
      o.Set("bitOffset", btf_int_offset(t));
      break;
    case BTF_KIND_PTR:
      o.Set("kind", "ptr");
      break;
    case BTF_KIND_FLOAT:
      o.Set("kind", "float");
      break;
    case BTF_KIND_ARRAY: {
      const struct btf_array* a = btf_array(t);
      o.Set("kind", "array");
      o.Set("type", a->type);
      o.Set("length", a->nelems);
      o.Set("chars", Napi::Boolean::New(env, CharElements(btf, a->type)));
      next.push_back(a->type);
      break;
    }
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      o.Set("kind", btf_is_struct(t) ? "struct" : "union");
      const struct btf_member* m = btf_members(t);
      Napi::Array members = Napi::Array::New(env, btf_vlen(t));
      for (uint32_t i = 0; i < btf_vlen(t); i++) {
        Napi::Object member = Napi::Object::New(env);
        member.Set("name", btf__name_by_offset(btf, m[i].name_off));
        member.Set("type", m[i].type);
        member.Set("bitOffset", btf_member_bit_offset(t, i));
        member.Set("bitSize", btf_member_bitfield_size(t, i));
        members.Set(i, member);
        next.push_back(m[i].type);
      }
      o.Set("members", members);
      break;
    }
    case BTF_KIND_ENUM: {
      o.Set("kind", "enum");
      o.Set("signed", Napi::Boolean::New(env, btf_kflag(t)));
      const struct btf_enum* e = btf_enum(t);
      Napi::Array values = Napi::Array::New(env, btf_vlen(t));
      for (uint32_t i = 0; i < btf_vlen(t); i++) {
        Napi::Object v = Napi::Object::New(env);
        v.Set("name", btf__name_by_offset(btf, e[i].name_off));
        v.Set("value", e[i].val);
        values.Set(i, v);
      }
      o.Set("values", values);
      break;
    }
    case BTF_KIND_ENUM64: {
      o.Set("kind", "enum");
      o.Set("signed", Napi::Boolean::New(env, btf_kflag(t)));
      const struct btf_enum64* e = btf_enum64(t);
      Napi::Array values = Napi::Array::New(env, btf_vlen(t));
      for (uint32_t i = 0; i < btf_vlen(t); i++) {
        Napi::Object v = Napi::Object::New(env);
        v.Set("name", btf__name_by_offset(btf, e[i].name_off));
        v.Set("value", Napi::BigInt::New(env, static_cast<uint64_t>(btf_enum64_value(&e[i]))));
        values.Set(i, v);
      }
      o.Set("values", values);
      break;
    }
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      o.Set("kind", "alias");
      o.Set("type", t->type);
      next.push_back(t->type);
      break;
    case BTF_KIND_VAR:
      o.Set("kind", "var");
      o.Set("type", t->type);
      next.push_back(t->type);
      break;
    case BTF_KIND_DATASEC: {
      o.Set("kind", "datasec");
      const struct btf_var_secinfo* v = btf_var_secinfos(t);
      Napi::Array vars = Napi::Array::New(env, btf_vlen(t));
      for (uint32_t i = 0; i < btf_vlen(t); i++) {
        Napi::Object var = Napi::Object::New(env);
        var.Set("type", v[i].type);
        var.Set("offset", v[i].offset);
        vars.Set(i, var);
        next.push_back(v[i].type);
      }
      o.Set("vars", vars);
      break;
    }
    default:
      o.Set("kind", "unsupported");
      break;
  }
  return o;
}

}  // namespace

Napi::Object DescribeBtfTypes(Napi::Env env, const struct btf* btf, std::initializer_list<uint32_t> roots) {
  Napi::Object table = Napi::Object::New(env);
  std::vector<uint32_t> pending(roots);
  std::set<uint32_t> done;
  while (!pending.empty()) {
    uint32_t id = pending.back();
    pending.pop_back();
    if (id == 0 || !done.insert(id).second) continue;  // 0 is void
    table.Set(std::to_string(id), Describe(env, btf, id, pending));
  }
  return table;
}

}  // namespace bpfscope
