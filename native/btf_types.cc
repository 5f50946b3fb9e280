#include "btf_types.h"

#include <bpf/btf.h>

#include <set>

namespace bpfscope {

namespace {

// btf__name_by_offset returns NULL for an offset past the string section. The kernel verifies
// the BTF it hands out, but this must not trust that: std::string(NULL) and strcmp(NULL) crash.
std::string NameAt(const struct btf* btf, uint32_t offset) {
  const char* name = btf__name_by_offset(btf, offset);
  return name ? name : "";
}

// An array of char-like elements (int of size 1, encoded as char or named "char", behind
// modifiers but not typedefs): bpftool's is_str_array test before it looks at the bytes.
bool CharElements(const struct btf* btf, uint32_t elem) {
  const struct btf_type* t = btf__type_by_id(btf, elem);
  // Bounded: a modifier chain longer than the type count is a loop (crafted BTF).
  for (uint32_t hops = 0; t && btf_is_mod(t) && hops <= btf__type_cnt(btf); hops++) t = btf__type_by_id(btf, t->type);
  if (!t || !btf_is_int(t) || t->size != 1) return false;
  return btf_int_encoding(t) == BTF_INT_CHAR || NameAt(btf, t->name_off) == "char";
}

const char* IntEncoding(const struct btf_type* t) {
  uint8_t enc = btf_int_encoding(t);
  if (enc & BTF_INT_CHAR) return "char";
  if (enc & BTF_INT_BOOL) return "bool";
  return enc & BTF_INT_SIGNED ? "signed" : "unsigned";
}

BtfTypeDesc Describe(const struct btf* btf, uint32_t id, std::vector<uint32_t>& next) {
  BtfTypeDesc d;
  d.id = id;
  const struct btf_type* t = btf__type_by_id(btf, id);
  if (!t) {
    d.kind = "unsupported";
    return d;
  }
  d.name = NameAt(btf, t->name_off);
  long long size = btf__resolve_size(btf, id);
  if (size >= 0) d.size = size;
  switch (btf_kind(t)) {
    case BTF_KIND_INT:
      d.kind = "int";
      d.encoding = IntEncoding(t);
      d.bits = btf_int_bits(t);
      d.bit_offset = btf_int_offset(t);
      break;
    case BTF_KIND_PTR:
      d.kind = "ptr";
      break;
    case BTF_KIND_FLOAT:
      d.kind = "float";
      break;
    case BTF_KIND_ARRAY: {
      const struct btf_array* a = btf_array(t);
      d.kind = "array";
      d.type = a->type;
      d.length = a->nelems;
      d.chars = CharElements(btf, a->type);
      next.push_back(a->type);
      break;
    }
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      d.kind = btf_is_struct(t) ? "struct" : "union";
      const struct btf_member* m = btf_members(t);
      for (uint32_t i = 0; i < btf_vlen(t); i++) {
        d.members.push_back({NameAt(btf, m[i].name_off), m[i].type, btf_member_bit_offset(t, i),
                             btf_member_bitfield_size(t, i)});
        next.push_back(m[i].type);
      }
      break;
    }
    case BTF_KIND_ENUM: {
      d.kind = "enum";
      d.is_signed = btf_kflag(t);
      const struct btf_enum* e = btf_enum(t);
      // The s32 sign-extended; ToJs narrows it back.
      for (uint32_t i = 0; i < btf_vlen(t); i++)
        d.values.push_back({NameAt(btf, e[i].name_off), static_cast<uint64_t>(static_cast<int64_t>(e[i].val))});
      break;
    }
    case BTF_KIND_ENUM64: {
      d.kind = "enum";
      d.enum64 = true;
      d.is_signed = btf_kflag(t);
      const struct btf_enum64* e = btf_enum64(t);
      for (uint32_t i = 0; i < btf_vlen(t); i++)
        d.values.push_back({NameAt(btf, e[i].name_off), static_cast<uint64_t>(btf_enum64_value(&e[i]))});
      break;
    }
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      d.kind = "alias";
      d.type = t->type;
      next.push_back(t->type);
      break;
    case BTF_KIND_VAR:
      d.kind = "var";
      d.type = t->type;
      next.push_back(t->type);
      break;
    case BTF_KIND_DATASEC: {
      d.kind = "datasec";
      const struct btf_var_secinfo* v = btf_var_secinfos(t);
      for (uint32_t i = 0; i < btf_vlen(t); i++) {
        d.vars.push_back({v[i].type, v[i].offset});
        next.push_back(v[i].type);
      }
      break;
    }
    default:
      d.kind = "unsupported";
      break;
  }
  return d;
}

}  // namespace

std::vector<BtfTypeDesc> DescribeBtfTypeList(const struct btf* btf, std::initializer_list<uint32_t> roots) {
  std::vector<BtfTypeDesc> out;
  std::vector<uint32_t> pending(roots);
  std::set<uint32_t> done;
  while (!pending.empty()) {
    uint32_t id = pending.back();
    pending.pop_back();
    if (id == 0 || !done.insert(id).second) continue;  // 0 is void
    out.push_back(Describe(btf, id, pending));
  }
  return out;
}

}  // namespace bpfscope
