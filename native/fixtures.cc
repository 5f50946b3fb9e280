#include "fixtures.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "handle.h"
#include "task.h"
#include "uapi_compat.h"

namespace bpfscope::fixtures {

namespace {

uint32_t U32Of(const Napi::Object& o, const char* key, uint32_t fallback = 0) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : fallback;
}

// A u64 given as a BigInt (src/testing/objects.ts converts numbers); anything else is `fallback`.
// A BigInt past 64 bits throws a RangeError naming `what`, rather than reaching the kernel cut.
uint64_t U64Value(Napi::Value v, const std::string& what, uint64_t fallback = 0) {
  if (!v.IsBigInt()) return fallback;
  bool lossless = true;
  uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) Napi::RangeError::New(v.Env(), what + " must fit in 64 bits").ThrowAsJavaScriptException();
  return u;
}

uint64_t U64Of(const Napi::Object& o, const char* key, uint64_t fallback = 0) { return U64Value(o.Get(key), key, fallback); }

// An array of BigInts (u64s), empty if absent; throws like U64Of.
std::vector<uint64_t> U64ArrayOf(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  std::vector<uint64_t> out;
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    bool lossless = e.IsBigInt();
    uint64_t u = lossless ? e.As<Napi::BigInt>().Uint64Value(&lossless) : 0;
    if (!lossless) {
      Napi::RangeError::New(o.Env(), std::string(key) + " must hold u64 BigInts").ThrowAsJavaScriptException();
      return {};
    }
    out.push_back(u);
  }
  return out;
}

// No coercion (common.h ArgBool).
bool BoolOf(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

std::string StrOf(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

std::vector<uint8_t> BytesOf(const Napi::Value& v) {
  if (!v.IsBuffer()) return {};
  auto b = v.As<Napi::Buffer<uint8_t>>();
  return std::vector<uint8_t>(b.Data(), b.Data() + b.Length());
}

// An fd borrowed from an optional handle property; -1 if absent. The handle stays referenced by
// the options object, which the caller keeps alive until the promise settles.
int OptionalFd(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return -1;
  return FdHandle::FdOf(v);
}

// Runs `create(failure, fd)` off the main thread, which makes a kernel object and puts its fd in
// `fd`; the promise resolves to a handle of `kind` that owns the fd.
template <typename Create>
Napi::Value NewHandle(Napi::Env env, const char* kind, Create create) {
  auto fd = std::make_shared<Fd>();
  return RunAsync(
      env, [fd, create](Failure& failure) { return create(failure, *fd); },
      [fd, kind](Napi::Env e) { return FdHandle::New(e, std::move(*fd), kind); });
}

// createMap({ type, name, keySize, valueSize, maxEntries, flags, btf, btfKeyTypeId, btfValueTypeId,
//             btfVmlinuxValueTypeId, innerMap, mapExtra }) → handle
Napi::Value CreateMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowType(env, "createMap(options)");
  Napi::Object o = info[0].As<Napi::Object>();
  uint32_t type = U32Of(o, "type"), key = U32Of(o, "keySize"), value = U32Of(o, "valueSize");
  uint32_t max = U32Of(o, "maxEntries"), flags = U32Of(o, "flags");
  uint32_t key_tid = U32Of(o, "btfKeyTypeId"), value_tid = U32Of(o, "btfValueTypeId");
  uint32_t vmlinux_value_tid = U32Of(o, "btfVmlinuxValueTypeId");
  uint64_t extra = U64Of(o, "mapExtra");  // map_extra is a u64 (an arena's address)
  std::string name = StrOf(o, "name");
  int btf_fd = OptionalFd(o, "btf");
  int inner_fd = OptionalFd(o, "innerMap");
  if (env.IsExceptionPending()) return env.Undefined();
  return NewHandle(env, "map", [=](Failure& failure, Fd& fd) {
    LIBBPF_OPTS(bpf_map_create_opts, opts);
    opts.map_flags = flags;
    opts.map_extra = extra;
    opts.btf_vmlinux_value_type_id = vmlinux_value_tid;
    if (btf_fd >= 0) {
      opts.btf_fd = btf_fd;
      opts.btf_key_type_id = key_tid;
      opts.btf_value_type_id = value_tid;
    }
    if (inner_fd >= 0) opts.inner_map_fd = inner_fd;
    int created = bpf_map_create(static_cast<enum bpf_map_type>(type), name.empty() ? nullptr : name.c_str(),
                                 key, value, max, &opts);
    if (created < 0) return failure.Set(errno, "BPF_MAP_CREATE", "map " + name);
    fd.Reset(created);
    return true;
  });
}

// loadProgram({ type, name, insns: Buffer, license, expectedAttachType, btf, funcInfo: Buffer, maps })
// `maps`: the handles that BPF_PSEUDO_MAP_IDX instructions name by index (fd_array, Linux 5.14+).
Napi::Value LoadProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowType(env, "loadProgram(options)");
  Napi::Object o = info[0].As<Napi::Object>();
  uint32_t type = U32Of(o, "type"), attach = U32Of(o, "expectedAttachType");
  std::string name = StrOf(o, "name"), license = StrOf(o, "license");
  if (license.empty()) license = "GPL";
  std::vector<uint8_t> insns = BytesOf(o.Get("insns")), func_info = BytesOf(o.Get("funcInfo"));
  int btf_fd = OptionalFd(o, "btf");
  std::vector<int> map_fds;
  if (Napi::Value maps = o.Get("maps"); maps.IsArray()) {
    Napi::Array list = maps.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length() && !env.IsExceptionPending(); i++) map_fds.push_back(FdHandle::FdOf(list.Get(i)));
  }
  if (env.IsExceptionPending()) return env.Undefined();
  if (insns.empty() || insns.size() % sizeof(struct bpf_insn)) return ThrowType(env, "insns must be a Buffer of 8-byte instructions");
  return NewHandle(env, "program", [=](Failure& failure, Fd& fd) {
    std::vector<char> log(64 * 1024, '\0');
    LIBBPF_OPTS(bpf_prog_load_opts, opts);
    opts.expected_attach_type = static_cast<enum bpf_attach_type>(attach);
    if (!map_fds.empty()) opts.fd_array = map_fds.data();
    opts.log_buf = log.data();
    opts.log_size = log.size();
    opts.log_level = 0;
    if (btf_fd >= 0) {
      opts.prog_btf_fd = btf_fd;
      opts.func_info = func_info.data();
      opts.func_info_cnt = func_info.size() / sizeof(struct bpf_func_info);
      opts.func_info_rec_size = sizeof(struct bpf_func_info);
    }
    int loaded = bpf_prog_load(static_cast<enum bpf_prog_type>(type), name.empty() ? nullptr : name.c_str(),
                               license.c_str(), reinterpret_cast<const struct bpf_insn*>(insns.data()),
                               insns.size() / sizeof(struct bpf_insn), &opts);
    if (loaded < 0) {
      int err = errno;
      if (err == EINVAL || err == EACCES) {
        // Retry with a verifier log for the error's detail.
        opts.log_level = 1;
        int again = bpf_prog_load(static_cast<enum bpf_prog_type>(type), nullptr, license.c_str(),
                                  reinterpret_cast<const struct bpf_insn*>(insns.data()),
                                  insns.size() / sizeof(struct bpf_insn), &opts);
        if (again >= 0) ::close(again);
      }
      return failure.Set(err, "BPF_PROG_LOAD", "program " + name, std::string(log.data()));
    }
    fd.Reset(loaded);
    return true;
  });
}

// loadObject(path) → { [program name]: handle }: every program of a BPF ELF object (clang
// -target bpf -g), loaded by libbpf as an application loads it: its maps made, its relocations
// applied, its BTF with func_info and line_info. The maps live as long as a program using them.
Napi::Value LoadObject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgString(info, 0, &path)) return ThrowType(env, "loadObject(path)");
  auto programs = std::make_shared<std::vector<std::pair<std::string, Fd>>>();
  return RunAsync(
      env,
      [path, programs](Failure& failure) {
        std::unique_ptr<struct bpf_object, void (*)(struct bpf_object*)> object(bpf_object__open_file(path.c_str(), nullptr), bpf_object__close);
        if (!object || libbpf_get_error(object.get())) {
          object.release();
          return failure.Set(errno, "bpf_object__open_file", path);
        }
        if (int err = bpf_object__load(object.get()); err != 0) return failure.Set(-err, "bpf_object__load", path);
        struct bpf_program* program;
        bpf_object__for_each_program(program, object.get()) {
          Fd fd(::fcntl(bpf_program__fd(program), F_DUPFD_CLOEXEC, 3));
          if (!fd.valid()) return failure.Set(errno, "fcntl", path);
          programs->emplace_back(bpf_program__name(program), std::move(fd));
        }
        return true;
      },
      [programs](Napi::Env e) {
        Napi::Object out = Napi::Object::New(e);
        for (auto& [name, fd] : *programs) out.Set(name, FdHandle::New(e, std::move(fd), "program"));
        return out;
      });
}

// loadBtf(types): types[i] gets BTF id i+1. Each is one of
//   { kind:'int', name, size, signed?, char?, bool? }   { kind:'ptr'|'const'|'volatile', type }
//   { kind:'array', type, indexType, length }          { kind:'typedef', name, type }
//   { kind:'struct'|'union', name, size, members:[{ name, type, bitOffset, bitSize? }] }
//   { kind:'enum', name, size, values:[{ name, value }] }
//   { kind:'func_proto', ret, params:[{ name, type }] } { kind:'func', name, type, linkage? }
//   { kind:'enum64', name, size, signed?, values:[{ name, value (bigint) }] }   { kind:'float', name, size }
//   { kind:'restrict', type }   { kind:'type_tag'|'decl_tag', name, type, component? }   { kind:'fwd', name, union? }
//   { kind:'var', name, type, linkage? }   { kind:'datasec', name, size, vars:[{ type, offset, size }] }
// Parsing into libbpf's writer happens here on the main thread (no kernel call); loading does not.
// encodeBtf(types, base?) → the same types as raw BTF bytes (a header, the types, the strings),
// loaded nowhere: BTF the kernel would refuse, for `bpftool btf dump file` to read. With `base`
// (raw BTF bytes), split BTF on it, as a module's is on vmlinux's: types[i] gets id (the base's
// type count) + i + 1, ids below name the base's types, and string offsets go on past its strings.
namespace {

// The types in libbpf's writer, on `base` if one is given (which the result keeps alive); null
// with a JS exception pending when one is invalid.
std::shared_ptr<struct btf> BuildBtf(Napi::Env env, const Napi::CallbackInfo& info, const char* usage, bool takes_base) {
  bool based = takes_base && info.Length() > 1 && !info[1].IsUndefined();
  if (info.Length() < 1 || !info[0].IsArray() || (based && !info[1].IsBuffer())) {
    ThrowType(env, usage);
    return nullptr;
  }
  Napi::Array types = info[0].As<Napi::Array>();
  std::shared_ptr<struct btf> base;
  if (based) {
    Napi::Buffer<uint8_t> bytes = info[1].As<Napi::Buffer<uint8_t>>();
    base.reset(btf__new(bytes.Data(), static_cast<uint32_t>(bytes.Length())), btf__free);
    if (!base) {
      ThrowType(env, "the base is not raw BTF that libbpf reads");
      return nullptr;
    }
  }
  struct btf* empty = base ? btf__new_empty_split(base.get()) : btf__new_empty();
  if (!empty) {
    ThrowType(env, "btf__new_empty failed");
    return nullptr;
  }
  std::shared_ptr<struct btf> btf(empty, [base](struct btf* split) { btf__free(split); });
  for (uint32_t i = 0; i < types.Length(); i++) {
    if (!types.Get(i).IsObject()) {
      ThrowType(env, "BTF type must be an object");
      return nullptr;
    }
    Napi::Object t = types.Get(i).As<Napi::Object>();
    std::string kind = StrOf(t, "kind"), name = StrOf(t, "name");
    int id = -EINVAL;
    if (kind == "int") {
      int enc = (BoolOf(t, "signed") ? BTF_INT_SIGNED : 0) | (BoolOf(t, "char") ? BTF_INT_CHAR : 0) |
                (BoolOf(t, "bool") ? BTF_INT_BOOL : 0);
      id = btf__add_int(btf.get(), name.c_str(), U32Of(t, "size"), enc);
    } else if (kind == "ptr") {
      id = btf__add_ptr(btf.get(), U32Of(t, "type"));
    } else if (kind == "const") {
      id = btf__add_const(btf.get(), U32Of(t, "type"));
    } else if (kind == "volatile") {
      id = btf__add_volatile(btf.get(), U32Of(t, "type"));
    } else if (kind == "array") {
      id = btf__add_array(btf.get(), U32Of(t, "indexType"), U32Of(t, "type"), U32Of(t, "length"));
    } else if (kind == "typedef") {
      id = btf__add_typedef(btf.get(), name.c_str(), U32Of(t, "type"));
    } else if (kind == "struct" || kind == "union") {
      id = kind == "struct" ? btf__add_struct(btf.get(), name.empty() ? nullptr : name.c_str(), U32Of(t, "size"))
                            : btf__add_union(btf.get(), name.empty() ? nullptr : name.c_str(), U32Of(t, "size"));
      Napi::Value members = t.Get("members");
      if (id > 0 && members.IsArray()) {
        Napi::Array m = members.As<Napi::Array>();
        for (uint32_t j = 0; j < m.Length() && id > 0; j++) {
          Napi::Object f = m.Get(j).As<Napi::Object>();
          std::string fname = StrOf(f, "name");
          int err = btf__add_field(btf.get(), fname.empty() ? nullptr : fname.c_str(), U32Of(f, "type"),
                                   U32Of(f, "bitOffset"), U32Of(f, "bitSize"));
          if (err < 0) id = err;
        }
      }
    } else if (kind == "enum") {
      id = btf__add_enum(btf.get(), name.c_str(), U32Of(t, "size", 4));
      Napi::Value values = t.Get("values");
      if (id > 0 && values.IsArray()) {
        Napi::Array v = values.As<Napi::Array>();
        for (uint32_t j = 0; j < v.Length() && id > 0; j++) {
          Napi::Object e = v.Get(j).As<Napi::Object>();
          int err = btf__add_enum_value(btf.get(), StrOf(e, "name").c_str(), e.Get("value").ToNumber().Int64Value());
          if (err < 0) id = err;
        }
      }
    } else if (kind == "func_proto") {
      id = btf__add_func_proto(btf.get(), U32Of(t, "ret"));
      Napi::Value params = t.Get("params");
      if (id > 0 && params.IsArray()) {
        Napi::Array p = params.As<Napi::Array>();
        for (uint32_t j = 0; j < p.Length() && id > 0; j++) {
          Napi::Object e = p.Get(j).As<Napi::Object>();
          int err = btf__add_func_param(btf.get(), StrOf(e, "name").c_str(), U32Of(e, "type"));
          if (err < 0) id = err;
        }
      }
    } else if (kind == "enum64") {
      id = btf__add_enum64(btf.get(), name.c_str(), U32Of(t, "size", 8), BoolOf(t, "signed"));
      Napi::Value values = t.Get("values");
      if (id > 0 && values.IsArray()) {
        Napi::Array v = values.As<Napi::Array>();
        for (uint32_t j = 0; j < v.Length() && id > 0; j++) {
          Napi::Object e = v.Get(j).As<Napi::Object>();
          Napi::Value value = e.Get("value");
          bool lossless = true;
          uint64_t u = value.IsBigInt() ? value.As<Napi::BigInt>().Uint64Value(&lossless)
                                        : static_cast<uint64_t>(value.ToNumber().Int64Value());
          int err = lossless ? btf__add_enum64_value(btf.get(), StrOf(e, "name").c_str(), u) : -ERANGE;
          if (err < 0) id = err;
        }
      }
    } else if (kind == "float") {
      id = btf__add_float(btf.get(), name.c_str(), U32Of(t, "size"));
    } else if (kind == "restrict") {
      id = btf__add_restrict(btf.get(), U32Of(t, "type"));
    } else if (kind == "type_tag") {
      id = btf__add_type_tag(btf.get(), name.c_str(), U32Of(t, "type"));
    } else if (kind == "decl_tag") {
      Napi::Value component = t.Get("component");
      id = btf__add_decl_tag(btf.get(), name.c_str(), U32Of(t, "type"),
                             component.IsNumber() ? component.As<Napi::Number>().Int32Value() : -1);
    } else if (kind == "fwd") {
      id = btf__add_fwd(btf.get(), name.c_str(), BoolOf(t, "union") ? BTF_FWD_UNION : BTF_FWD_STRUCT);
    } else if (kind == "var") {
      id = btf__add_var(btf.get(), name.c_str(), U32Of(t, "linkage", BTF_VAR_GLOBAL_ALLOCATED), U32Of(t, "type"));
    } else if (kind == "datasec") {
      id = btf__add_datasec(btf.get(), name.c_str(), U32Of(t, "size"));
      Napi::Value vars = t.Get("vars");
      if (id > 0 && vars.IsArray()) {
        Napi::Array v = vars.As<Napi::Array>();
        for (uint32_t j = 0; j < v.Length() && id > 0; j++) {
          Napi::Object e = v.Get(j).As<Napi::Object>();
          int err = btf__add_datasec_var_info(btf.get(), U32Of(e, "type"), U32Of(e, "offset"), U32Of(e, "size"));
          if (err < 0) id = err;
        }
      }
    } else if (kind == "func") {
      id = btf__add_func(btf.get(), name.c_str(), static_cast<enum btf_func_linkage>(U32Of(t, "linkage", BTF_FUNC_GLOBAL)),
                         U32Of(t, "type"));
    }
    if (id < 0) {
      std::string msg = "BTF type " + std::to_string(btf__type_cnt(btf.get())) + " (" + kind + " " + name + ") is invalid";
      Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
      return nullptr;
    }
  }
  return btf;
}

}  // namespace

Napi::Value LoadBtf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<struct btf> btf = BuildBtf(env, info, "loadBtf(types)", false);
  if (!btf) return env.Undefined();
  return NewHandle(env, "BTF", [btf](Failure& failure, Fd& fd) {
    if (btf__load_into_kernel(btf.get()) != 0) return failure.Set(errno, "BPF_BTF_LOAD", "BTF");
    // btf__free would close the fd it keeps; take a dup that the handle owns.
    int dup = fcntl(btf__fd(btf.get()), F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return failure.Set(errno, "fcntl", "BTF fd");
    fd.Reset(dup);
    return true;
  });
}

Napi::Value EncodeBtf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<struct btf> btf = BuildBtf(env, info, "encodeBtf(types, base?: Buffer)", true);
  if (!btf) return env.Undefined();
  uint32_t size = 0;
  const void* raw = btf__raw_data(btf.get(), &size);
  if (!raw) return ThrowType(env, "btf__raw_data failed");
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(raw), size);
}

// createLink(program, target, attachType) → link handle, through a raw BPF_LINK_CREATE (libbpf 1.1
// cannot express tcx). `target` is an ifindex (tcx, xdp; resolved in the calling thread's netns) or a
// path opened here (a cgroup directory, a netns file).
Napi::Value CreateLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int prog = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  uint32_t ifindex = 0, type = 0;
  std::string path;
  bool by_path = ArgString(info, 1, &path);
  bool by_map = !by_path && info.Length() > 1 && info[1].IsObject();
  int map = by_map ? FdHandle::FdOf(info[1]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  if ((!by_path && !by_map && !ArgU32(info, 1, &ifindex)) || !ArgU32(info, 2, &type))
    return ThrowType(env, "createLink(program, ifindex | path | map, attachType)");
  return NewHandle(env, "link", [=](Failure& failure, Fd& fd) {
    std::string target = by_path ? path : by_map ? "a map" : "ifindex " + std::to_string(ifindex);
    Fd target_fd;
    if (by_path) {
      target_fd.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!target_fd.valid()) return failure.Set(errno, "open", path);
    }
    uapi::LinkCreateAttr attr {};
    attr.prog_fd = prog;
    attr.target = by_path ? target_fd.get() : by_map ? map : ifindex;
    attr.attach_type = type;
    long linked = uapi::Syscall(uapi::kLinkCreate, &attr, sizeof(attr));
    if (linked < 0) return failure.Set(errno, "BPF_LINK_CREATE", "attach type " + std::to_string(type) + " on " + target);
    fd.Reset(static_cast<int>(linked));
    return true;
  });
}

// rawTracepointLink(program, name, cookie) → link handle: the program on a raw tracepoint
// ('sys_enter', no category), as libbpf attaches SEC("raw_tp/…"): BPF_RAW_TRACEPOINT_OPEN, whose
// cookie is Linux 6.10 (0 passes on older kernels, which refuse any other value).
Napi::Value RawTracepointLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int prog = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  std::string name;
  if (!ArgString(info, 1, &name) || info.Length() < 3 || !info[2].IsBigInt()) return ThrowType(env, "rawTracepointLink(program, name, cookie)");
  uint64_t cookie = U64Value(info[2], "cookie");
  if (env.IsExceptionPending()) return env.Undefined();
  return NewHandle(env, "link", [=](Failure& failure, Fd& fd) {
    uapi::RawTracepointOpenAttr attr {};
    attr.name = reinterpret_cast<uintptr_t>(name.c_str());
    attr.prog_fd = static_cast<uint32_t>(prog);
    attr.cookie = cookie;
    long linked = uapi::Syscall(uapi::kRawTracepointOpen, &attr, sizeof(attr));
    if (linked < 0) return failure.Set(errno, "BPF_RAW_TRACEPOINT_OPEN", "raw tracepoint " + name);
    fd.Reset(static_cast<int>(linked));
    return true;
  });
}

// A perf event for the fixtures below, from { type, config, path, offset }: perf_event_attr's
// type and config, and a uprobe's file and offset (uprobe_path, probe_offset).
struct PerfEventSpec {
  uint32_t type;
  uint64_t config, offset;
  std::string path;

  static PerfEventSpec Of(const Napi::Object& o) { return {U32Of(o, "type"), U64Of(o, "config"), U64Of(o, "offset"), StrOf(o, "path")}; }
  std::string Name() const { return "perf event type " + std::to_string(type) + " config " + std::to_string(config); }

  // perf_event_open for every process (pid -1) on CPU 0: a BPF program on a tracepoint or probe
  // runs on every CPU anyway.
  bool Open(Failure& failure, Fd& event) const {
    struct perf_event_attr attr {};
    attr.type = type;
    attr.size = sizeof(attr);
    attr.config = config;
    if (!path.empty()) {
      attr.uprobe_path = reinterpret_cast<uintptr_t>(path.c_str());
      attr.probe_offset = offset;
    }
    attr.sample_period = 1;
    attr.wakeup_events = 1;
    event.Reset(static_cast<int>(::syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC)));
    return event.valid() || failure.Set(errno, "perf_event_open", Name());
  }
};

// perfEventLink(program, { type, config, path, offset }, cookie) → link handle: the program on a
// perf event, as libbpf attaches SEC("tp/…"), SEC("uprobe/…") and SEC("perf_event"):
// perf_event_open, then BPF_LINK_CREATE with BPF_PERF_EVENT. The link keeps the perf event; the
// fd opened here is closed.
Napi::Value PerfEventLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int prog = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  if (info.Length() < 3 || !info[1].IsObject() || !info[2].IsBigInt()) return ThrowType(env, "perfEventLink(program, event, cookie)");
  PerfEventSpec spec = PerfEventSpec::Of(info[1].As<Napi::Object>());
  uint64_t cookie = U64Value(info[2], "cookie");
  if (env.IsExceptionPending()) return env.Undefined();
  return NewHandle(env, "link", [=](Failure& failure, Fd& fd) {
    Fd event;
    if (!spec.Open(failure, event)) return false;
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    opts.perf_event.bpf_cookie = cookie;
    int link = bpf_link_create(prog, event.get(), BPF_PERF_EVENT, &opts);
    if (link < 0) return failure.Set(errno, "BPF_LINK_CREATE", spec.Name());
    fd.Reset(link);
    return true;
  });
}

// perfEventIoctl(program, { type, config, path, offset }) → perf event handle: the program on a
// perf event through PERF_EVENT_IOC_SET_BPF, as BCC and libbpf before Linux 5.15's perf links
// attach, and the event enabled. No link exists; the returned fd is the event's, whose close
// detaches the program.
Napi::Value PerfEventIoctl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int prog = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsObject()) return ThrowType(env, "perfEventIoctl(program, event)");
  PerfEventSpec spec = PerfEventSpec::Of(info[1].As<Napi::Object>());
  if (env.IsExceptionPending()) return env.Undefined();
  return NewHandle(env, "perf event", [=](Failure& failure, Fd& fd) {
    if (!spec.Open(failure, fd)) return false;
    if (::ioctl(fd.get(), PERF_EVENT_IOC_SET_BPF, prog) != 0) return failure.Set(errno, "PERF_EVENT_IOC_SET_BPF", spec.Name());
    if (::ioctl(fd.get(), PERF_EVENT_IOC_ENABLE, 0) != 0) return failure.Set(errno, "PERF_EVENT_IOC_ENABLE", spec.Name());
    return true;
  });
}

// uprobeMultiLink(program, { path, offsets, refCtrOffsets, cookies, flags, pid }) → link handle: one
// uprobe per offset of the file through BPF_LINK_CREATE with BPF_TRACE_UPROBE_MULTI (Linux 6.6,
// which libbpf 1.1 predates). refCtrOffsets and cookies are empty or as long as offsets.
Napi::Value UprobeMultiLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int prog = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsObject()) return ThrowType(env, "uprobeMultiLink(program, options)");
  Napi::Object o = info[1].As<Napi::Object>();
  std::string path = StrOf(o, "path");
  std::vector<uint64_t> offsets = U64ArrayOf(o, "offsets"), ref_ctr_offsets = U64ArrayOf(o, "refCtrOffsets"),
                        cookies = U64ArrayOf(o, "cookies");
  uint32_t flags = U32Of(o, "flags"), pid = U32Of(o, "pid");
  if (env.IsExceptionPending()) return env.Undefined();
  auto matches = [&](const std::vector<uint64_t>& v) { return v.empty() || v.size() == offsets.size(); };
  if (offsets.empty() || !matches(ref_ctr_offsets) || !matches(cookies))
    return ThrowType(env, "uprobeMultiLink: refCtrOffsets and cookies must be empty or as long as offsets");
  return NewHandle(env, "link", [=](Failure& failure, Fd& fd) {
    uapi::LinkCreateAttr attr {};
    attr.prog_fd = prog;
    attr.attach_type = uapi::kAttachUprobeMulti;
    attr.uprobe_multi.path = reinterpret_cast<uintptr_t>(path.c_str());
    attr.uprobe_multi.offsets = reinterpret_cast<uintptr_t>(offsets.data());
    if (!ref_ctr_offsets.empty()) attr.uprobe_multi.ref_ctr_offsets = reinterpret_cast<uintptr_t>(ref_ctr_offsets.data());
    if (!cookies.empty()) attr.uprobe_multi.cookies = reinterpret_cast<uintptr_t>(cookies.data());
    attr.uprobe_multi.cnt = static_cast<uint32_t>(offsets.size());
    attr.uprobe_multi.flags = flags;
    attr.uprobe_multi.pid = pid;
    long linked = uapi::Syscall(uapi::kLinkCreate, &attr, sizeof(attr));
    if (linked < 0) return failure.Set(errno, "BPF_LINK_CREATE", "uprobe_multi on " + path);
    fd.Reset(static_cast<int>(linked));
    return true;
  });
}

// cgroupAttach(program, path, attachType, flags, attach) → undefined: BPF_PROG_ATTACH to a cgroup
// with BPF_F_ALLOW_* `flags` (the way without a link, which Cilium falls back to), or with
// attach false, BPF_PROG_DETACH of that program.
Napi::Value CgroupAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int prog = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  std::string path;
  uint32_t type = 0, flags = 0;
  if (!ArgString(info, 1, &path) || !ArgU32(info, 2, &type) || !ArgU32(info, 3, &flags) || info.Length() < 5 || !info[4].IsBoolean())
    return ThrowType(env, "cgroupAttach(program, path, attachType, flags, attach)");
  bool attach = info[4].As<Napi::Boolean>();
  return RunAsync(
      env,
      [=](Failure& failure) {
        Fd cgroup(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!cgroup.valid()) return failure.Set(errno, "open", path);
        int r = attach ? bpf_prog_attach(prog, cgroup.get(), static_cast<bpf_attach_type>(type), flags)
                       : bpf_prog_detach2(prog, cgroup.get(), static_cast<bpf_attach_type>(type));
        if (r != 0) return failure.Set(errno, attach ? "BPF_PROG_ATTACH" : "BPF_PROG_DETACH", "cgroup " + path);
        return true;
      },
      [](Napi::Env e) { return e.Undefined(); });
}

// testRun(program, data, repeat) → retval (BPF_PROG_TEST_RUN; with statistics on it advances run_cnt)
Napi::Value TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int prog = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsBuffer()) return ThrowType(env, "testRun(program, data, repeat)");
  std::vector<uint8_t> data = BytesOf(info[1]);
  uint32_t repeat = 1;
  ArgU32(info, 2, &repeat);
  auto retval = std::make_shared<uint32_t>(0);
  return RunAsync(
      env,
      [=](Failure& failure) {
        LIBBPF_OPTS(bpf_test_run_opts, opts);
        opts.data_in = data.data();
        opts.data_size_in = data.size();
        opts.repeat = repeat;
        if (bpf_prog_test_run_opts(prog, &opts) != 0) return failure.Set(errno, "BPF_PROG_TEST_RUN", "program fd " + std::to_string(prog));
        *retval = opts.retval;
        return true;
      },
      [retval](Napi::Env e) -> Napi::Value { return Napi::Number::New(e, *retval); });
}

// pin(handle, path)
Napi::Value Pin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  std::string path;
  if (!ArgString(info, 1, &path)) return ThrowType(env, "pin(handle, path)");
  return RunAsync(
      env,
      [=](Failure& failure) {
        if (bpf_obj_pin(fd, path.c_str()) != 0) return failure.Set(errno, "BPF_OBJ_PIN", path);
        return true;
      },
      [](Napi::Env e) { return e.Undefined(); });
}

// updateElem(map, key, value, flags)
Napi::Value UpdateElem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  if (info.Length() < 3 || !info[1].IsBuffer() || !info[2].IsBuffer()) return ThrowType(env, "updateElem(map, key, value, flags)");
  std::vector<uint8_t> key = BytesOf(info[1]), value = BytesOf(info[2]);
  uint32_t flags = 0;
  ArgU32(info, 3, &flags);
  return RunAsync(
      env,
      [=](Failure& failure) {
        if (bpf_map_update_elem(fd, key.data(), value.data(), flags) != 0)
          return failure.Set(errno, "BPF_MAP_UPDATE_ELEM", "map fd " + std::to_string(fd));
        return true;
      },
      [](Napi::Env e) { return e.Undefined(); });
}

// updateBatch(map, keys, values, count, flags): BPF_MAP_UPDATE_BATCH from packed buffers, to fill
// maps of a million entries quickly (benchmarks). Copies the buffers (the call runs off-thread).
Napi::Value UpdateBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  uint32_t count = 0, flags = 0;
  if (info.Length() < 4 || !info[1].IsBuffer() || !info[2].IsBuffer() || !ArgU32(info, 3, &count))
    return ThrowType(env, "updateBatch(map, keys, values, count, flags)");
  ArgU32(info, 4, &flags);
  std::vector<uint8_t> keys = BytesOf(info[1]), values = BytesOf(info[2]);
  if (count == 0 || keys.size() % count || values.size() % count)
    return ThrowType(env, "updateBatch: keys and values must hold `count` equal-sized records");
  return RunAsync(
      env,
      [=](Failure& failure) mutable {
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        opts.elem_flags = flags;
        size_t ks = keys.size() / count, vs = values.size() / count;
        for (uint32_t done = 0; done < count;) {
          uint32_t n = std::min<uint32_t>(count - done, 65536);
          if (bpf_map_update_batch(fd, keys.data() + size_t(done) * ks, values.data() + size_t(done) * vs, &n, &opts) != 0)
            return failure.Set(errno, "BPF_MAP_UPDATE_BATCH", "map fd " + std::to_string(fd));
          done += n;
        }
        return true;
      },
      [](Napi::Env e) { return e.Undefined(); });
}

// deleteElem(map, key)
Napi::Value DeleteElem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info.Length() > 0 ? FdHandle::FdOf(info[0]) : -1;
  if (env.IsExceptionPending()) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsBuffer()) return ThrowType(env, "deleteElem(map, key)");
  std::vector<uint8_t> key = BytesOf(info[1]);
  return RunAsync(
      env,
      [=](Failure& failure) {
        if (bpf_map_delete_elem(fd, key.data()) != 0)
          return failure.Set(errno, "BPF_MAP_DELETE_ELEM", "map fd " + std::to_string(fd));
        return true;
      },
      [](Napi::Env e) { return e.Undefined(); });
}

// mountBpffs(dir) / unmount(dir): a private bpffs for tests and the fake Cilium node.
Napi::Value MountBpffs(const Napi::CallbackInfo& info) {
  std::string dir;
  if (!ArgString(info, 0, &dir)) return ThrowType(info.Env(), "mountBpffs(dir)");
  return RunAsync(
      info.Env(),
      [=](Failure& failure) {
        if (::mount("bpf", dir.c_str(), "bpf", 0, nullptr) != 0) return failure.Set(errno, "mount", dir);
        return true;
      },
      [](Napi::Env e) { return e.Undefined(); });
}

Napi::Value Unmount(const Napi::CallbackInfo& info) {
  std::string dir;
  if (!ArgString(info, 0, &dir)) return ThrowType(info.Env(), "unmount(dir)");
  return RunAsync(
      info.Env(),
      [=](Failure& failure) {
        if (::umount2(dir.c_str(), MNT_DETACH) != 0) return failure.Set(errno, "umount", dir);
        return true;
      },
      [](Napi::Env e) { return e.Undefined(); });
}

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("createMap", Napi::Function::New(env, CreateMap, "createMap"));
  exports.Set("loadProgram", Napi::Function::New(env, LoadProgram, "loadProgram"));
  exports.Set("loadBtf", Napi::Function::New(env, LoadBtf, "loadBtf"));
  exports.Set("encodeBtf", Napi::Function::New(env, EncodeBtf, "encodeBtf"));
  exports.Set("loadObject", Napi::Function::New(env, LoadObject, "loadObject"));
  exports.Set("createLink", Napi::Function::New(env, CreateLink, "createLink"));
  exports.Set("cgroupAttach", Napi::Function::New(env, CgroupAttach, "cgroupAttach"));
  exports.Set("perfEventLink", Napi::Function::New(env, PerfEventLink, "perfEventLink"));
  exports.Set("perfEventIoctl", Napi::Function::New(env, PerfEventIoctl, "perfEventIoctl"));
  exports.Set("rawTracepointLink", Napi::Function::New(env, RawTracepointLink, "rawTracepointLink"));
  exports.Set("uprobeMultiLink", Napi::Function::New(env, UprobeMultiLink, "uprobeMultiLink"));
  exports.Set("testRun", Napi::Function::New(env, TestRun, "testRun"));
  exports.Set("pin", Napi::Function::New(env, Pin, "pin"));
  exports.Set("updateElem", Napi::Function::New(env, UpdateElem, "updateElem"));
  exports.Set("updateBatch", Napi::Function::New(env, UpdateBatch, "updateBatch"));
  exports.Set("deleteElem", Napi::Function::New(env, DeleteElem, "deleteElem"));
  exports.Set("mountBpffs", Napi::Function::New(env, MountBpffs, "mountBpffs"));
  exports.Set("unmount", Napi::Function::New(env, Unmount, "unmount"));
}

}  // namespace bpfscope::fixtures
