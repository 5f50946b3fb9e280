#include "btf.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "btf_types.h"
#include "ids.h"
#include "uapi_compat.h"

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

KernelStruct::KernelStruct(const char* name) : btf_(btf__load_vmlinux_btf()) {
  if (btf_) id_ = btf__find_by_name_kind(btf_, name, BTF_KIND_STRUCT);
  else error_ = errno;
}

KernelStruct::~KernelStruct() { btf__free(btf_); }

namespace {

// The type of member `name` of struct or union `id`, found in anonymous members too; 0 if none.
uint32_t MemberType(const struct btf* btf, uint32_t id, std::string_view name) {
  const struct btf_type* type = btf__type_by_id(btf, id);
  if (!type || !btf_is_composite(type)) return 0;
  const struct btf_member* member = btf_members(type);
  for (uint16_t i = 0; i < btf_vlen(type); i++, member++) {
    const char* found_name = btf__name_by_offset(btf, member->name_off);
    std::string_view member_name = found_name ? found_name : "";
    if (member_name == name) return member->type;
    if (member_name.empty())
      if (uint32_t found = MemberType(btf, member->type, name)) return found;
  }
  return 0;
}

}  // namespace

bool KernelStruct::Has(std::string_view path) const {
  if (id_ <= 0) return false;
  uint32_t type = id_;
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find('.', start), path.size());
    type = MemberType(btf_, type, path.substr(start, end - start));
    if (type == 0) return false;
    start = end + 1;
  }
  return true;
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

Napi::Object ToJs(Napi::Env env, const BtfTypeDesc& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", d.kind);
  if (!d.name.empty()) o.Set("name", d.name);
  if (d.size >= 0) o.Set("size", static_cast<double>(d.size));
  if (d.kind == "int") {
    o.Set("encoding", d.encoding);
    o.Set("bits", d.bits);
    o.Set("bitOffset", d.bit_offset);
  } else if (d.kind == "array") {
    o.Set("type", d.type);
    o.Set("length", d.length);
    o.Set("chars", Napi::Boolean::New(env, d.chars));
  } else if (d.kind == "struct" || d.kind == "union") {
    Napi::Array members = Napi::Array::New(env, d.members.size());
    for (uint32_t i = 0; i < d.members.size(); i++) {
      Napi::Object member = Napi::Object::New(env);
      member.Set("name", d.members[i].name);
      member.Set("type", d.members[i].type);
      member.Set("bitOffset", d.members[i].bit_offset);
      member.Set("bitSize", d.members[i].bit_size);
      members.Set(i, member);
    }
    o.Set("members", members);
  } else if (d.kind == "enum") {
    o.Set("signed", Napi::Boolean::New(env, d.is_signed));
    Napi::Array values = Napi::Array::New(env, d.values.size());
    for (uint32_t i = 0; i < d.values.size(); i++) {
      Napi::Object v = Napi::Object::New(env);
      v.Set("name", d.values[i].name);
      // enum: the kernel's s32 as a number; enum64: the whole u64 as a BigInt.
      if (d.enum64) v.Set("value", Napi::BigInt::New(env, d.values[i].value));
      else v.Set("value", static_cast<int32_t>(d.values[i].value));
      values.Set(i, v);
    }
    o.Set("values", values);
  } else if (d.kind == "alias" || d.kind == "var") {
    o.Set("type", d.type);
  } else if (d.kind == "datasec") {
    Napi::Array vars = Napi::Array::New(env, d.vars.size());
    for (uint32_t i = 0; i < d.vars.size(); i++) {
      Napi::Object var = Napi::Object::New(env);
      var.Set("type", d.vars[i].type);
      var.Set("offset", d.vars[i].offset);
      vars.Set(i, var);
    }
    o.Set("vars", vars);
  }
  return o;
}

}  // namespace

Napi::Object DescribeBtfTypes(Napi::Env env, const struct btf* btf, std::initializer_list<uint32_t> roots) {
  Napi::Object table = Napi::Object::New(env);
  for (const BtfTypeDesc& d : DescribeBtfTypeList(btf, roots)) table.Set(std::to_string(d.id), ToJs(env, d));
  return table;
}

}  // namespace bpfscope

// BTF objects: what `bpftool btf show` prints of each (the programs and maps using one are
// found from their side, in src/btf-objects.ts).
namespace bpfscope::btf {

namespace {

#define BTF_NUMBERS(X) X(id) X(size)
#define BTF_BOOLEANS(X) X(kernel)
#define BTF_STRINGS(X) X(name)

enum Numbers { BTF_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Booleans { BTF_BOOLEANS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { BTF_STRINGS(BPFSCOPE_COLUMN_ENUM) };

// Module names are at most MODULE_NAME_LEN (56) bytes; vmlinux's is "vmlinux".
constexpr uint32_t kNameSize = 64;

#define BTF_HAS(len, field) ((len) >= BPFSCOPE_OFFSETOFEND(struct bpf_btf_info, field))

// bpf_btf_info of one object: its id and size, and from Linux 5.11 (which added them) its name and
// whether the kernel made it (vmlinux and modules) rather than a BPF_BTF_LOAD.
struct BtfObjectInfo {
  struct bpf_btf_info info {};
  std::string name;  // empty for one a process loaded, and before 5.11
  bool has_name = false;

  bool Read(int fd, Failure& failure) {
    char buf[kNameSize] = {};
    info.name = reinterpret_cast<uintptr_t>(buf);
    info.name_len = sizeof(buf);
    uint32_t len = sizeof(info);
    int err = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? 0 : errno;
    if (err == E2BIG) {
      // A kernel before 5.11 refuses the name fields it does not know (set, so not zero): ask
      // again for the fields it has.
      info = {};
      len = offsetof(struct bpf_btf_info, name);
      err = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? 0 : errno;
    }
    if (err) return failure.Set(err, "BPF_OBJ_GET_INFO_BY_FD", "BTF fd " + std::to_string(fd));
    has_name = BTF_HAS(len, kernel_btf);
    // name_len comes back as the name's length; a BPF_BTF_LOAD's name is empty.
    if (has_name && info.name_len > 0 && info.name_len < sizeof(buf)) name.assign(buf, info.name_len);
    info.name = 0;  // buf goes out of scope
    return true;
  }
};

struct Kind {
  struct Context {};
  static constexpr const IdSpace& kSpace = kBtfs;

  static const Schema& TableSchema() {
    static const Schema schema{{BTF_NUMBERS(BPFSCOPE_COLUMN_NAME)}, {BTF_BOOLEANS(BPFSCOPE_COLUMN_NAME)}, {},
                               {BTF_STRINGS(BPFSCOPE_COLUMN_NAME)}};
    return schema;
  }

  // One row: the object's id and size, and from Linux 5.11 its name and whether the kernel made it.
  static bool Read(int fd, Table& table, Context&, Failure& failure) {
    BtfObjectInfo info;
    if (!info.Read(fd, failure)) return false;
    table.AddRow();
    table.Number(k_id, info.info.id);
    table.Number(k_size, info.info.btf_size);
    if (info.has_name) {
      table.Boolean(k_kernel, info.info.kernel_btf != 0);
      if (!info.name.empty()) table.String(k_name, info.name);
    }
    return true;
  }
};

// The raw bytes of one BTF object (header, types, strings) as the kernel holds them, for
// src/btf-dump.ts, which reads every type from them (`bpftool btf dump`). The kernel checked them
// when it made or loaded the object; parsing them again with libbpf took 130-160 ms of vmlinux's
// 5 MiB here, as long as bpftool's whole dump.
class BtfRawTask : public Task {
 public:
  explicit BtfRawTask(uint32_t id) : id_(id) {}

  bool Run(Failure& failure) override {
    const std::string object = "BTF " + std::to_string(id_);
    Fd fd(bpf_btf_get_fd_by_id(id_));
    if (!fd.valid()) return failure.Set(errno, "BPF_BTF_GET_FD_BY_ID", object);
    if (!info_.Read(fd.get(), failure)) return false;
    size_ = info_.info.btf_size;
    raw_.reset(new uint8_t[size_]);  // not zeroed: the kernel writes every byte
    struct bpf_btf_info data {};
    data.btf = reinterpret_cast<uintptr_t>(raw_.get());
    data.btf_size = size_;
    uint32_t len = sizeof(data);
    if (bpf_obj_get_info_by_fd(fd.get(), &data, &len) != 0) return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", object);
    // btf_size comes back as the object's size, which cannot have changed: BTF objects are immutable.
    if (data.btf_size != size_) return failure.Set(EIO, "BPF_OBJ_GET_INFO_BY_FD", object, "its size changed between two reads");
    return true;
  }

  // { raw: Buffer, name?: string, kernel?: boolean }: a kernel BTF not named vmlinux is a module's.
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    // Handed over without a copy (vmlinux's is 5 MiB); freed when the Buffer is collected.
    o.Set("raw", Napi::Buffer<uint8_t>::NewOrCopy(env, raw_.release(), size_, [](Napi::Env, uint8_t* data) { delete[] data; }));
    if (info_.has_name) {
      o.Set("kernel", Napi::Boolean::New(env, info_.info.kernel_btf != 0));
      if (!info_.name.empty()) o.Set("name", info_.name);
    }
    return o;
  }

 private:
  uint32_t id_;
  BtfObjectInfo info_;
  std::unique_ptr<uint8_t[]> raw_;
  uint32_t size_ = 0;
};

// Which programs and maps were loaded with a BTF object: every program's and map's btf_id, as
// (object id, BTF id) pairs of those that have one. A walk of its own rather than listPrograms and
// listMaps, which read each object's fdinfo and names too: this asks each info struct only up to
// btf_id, about a third of their cost over thousands of objects.
class BtfUsersTask : public Task {
 public:
  bool Run(Failure& failure) override {
    return Walk<struct bpf_prog_info>(kPrograms, programs_, failure) && Walk<struct bpf_map_info>(kMaps, maps_, failure);
  }

  // { programs: Uint32Array, maps: Uint32Array }, each [id, btfId, id, btfId, …]
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("programs", ToJs(env, programs_));
    o.Set("maps", ToJs(env, maps_));
    return o;
  }

 private:
  template <typename Info>
  static bool Walk(const IdSpace& space, std::vector<uint32_t>& pairs, Failure& failure) {
    return WalkIds(space, failure, [&](uint32_t id, int fd, Failure& f) {
      Info info{};
      uint32_t len = BPFSCOPE_OFFSETOFEND(Info, btf_id);
      if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
        return f.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", std::string(space.kind) + " " + std::to_string(id));
      if (info.btf_id) pairs.insert(pairs.end(), {id, info.btf_id});
      return true;
    });
  }

  static Napi::Uint32Array ToJs(Napi::Env env, const std::vector<uint32_t>& pairs) {
    Napi::Uint32Array out = Napi::Uint32Array::New(env, pairs.size());
    std::copy(pairs.begin(), pairs.end(), out.Data());
    return out;
  }

  std::vector<uint32_t> programs_, maps_;
};

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportListAndGet<Kind>(env, exports, "btf", "listBtf", "getBtfInfo");
  exports.Set("btfRaw", Napi::Function::New(
                            env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                              uint32_t id;
                              if (!ArgU32(info, 0, &id)) return ThrowType(info.Env(), "id must be a u32");
                              return RunAsync(info.Env(), std::make_unique<BtfRawTask>(id));
                            },
                            "btfRaw"));
  exports.Set("btfUsers", Napi::Function::New(
                              env, [](const Napi::CallbackInfo& info) { return RunAsync(info.Env(), std::make_unique<BtfUsersTask>()); },
                              "btfUsers"));
}

}  // namespace bpfscope::btf
