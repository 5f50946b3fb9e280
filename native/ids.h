// Walking the kernel's id space of one object kind (programs, maps, links, BTF).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common.h"

namespace bpfscope {

struct IdSpace {
  int (*next_id)(uint32_t start, uint32_t* next);  // libbpf bpf_*_get_next_id
  int (*fd_by_id)(uint32_t id);                    // libbpf bpf_*_get_fd_by_id
  const char* next_op;                             // "BPF_PROG_GET_NEXT_ID"
  const char* fd_op;                               // "BPF_PROG_GET_FD_BY_ID"
  const char* kind;                                // "program"
  const char* fdinfo_id;                           // the id's key in fdinfo: "prog_id"
};

extern const IdSpace kPrograms;
extern const IdSpace kMaps;
extern const IdSpace kLinks;
extern const IdSpace kBtfs;

// The kinds of object a process can hold an fd of, in the order kObjectSpaces lists them.
enum class ObjectKind { kProgram, kMap, kLink, kBtf };
extern const IdSpace* const kObjectSpaces[4];
inline const IdSpace& SpaceOf(ObjectKind kind) { return *kObjectSpaces[static_cast<int>(kind)]; }

// The kind of BPF object behind a file, from the target of its /proc/<pid>/fd/<n> link
// ("anon_inode:bpf-map"). False for any other file.
bool KindOfFdTarget(std::string_view target, ObjectKind* kind);

// Opens the object with that id. On failure returns an invalid Fd and fills `failure`.
Fd OpenById(const IdSpace& space, uint32_t id, Failure& failure);

// Calls `visit` with every object's id and an fd open on it, in id order. Objects that vanish
// between get_next_id and get_fd_by_id (ENOENT) are skipped, as cilium/ebpf's iterator does, and
// so are links still being created (EAGAIN, below).
// `visit` returns false to stop with its own failure.
bool WalkIds(const IdSpace& space, Failure& failure,
             const std::function<bool(uint32_t id, int fd, Failure& failure)>& visit);

}  // namespace bpfscope

#include "table.h"
#include "task.h"

namespace bpfscope {

// listX()/getX(id) for one object kind, returning a Table. `Kind` supplies:
//   Context (per-call state such as a BTF cache), kSpace, TableSchema(),
//   static bool Read(int fd, Table&, Context&, Failure&)  — appends one row.
template <typename Kind>
class ListObjectsTask : public Task {
 public:
  bool Run(Failure& failure) override {
    typename Kind::Context context;
    return WalkIds(Kind::kSpace, failure,
                   [&](uint32_t, int fd, Failure& f) { return Kind::Read(fd, table_, context, f); });
  }
  Napi::Value Result(Napi::Env env) override {
    hint_.set(table_.rows());
    return table_.ToJs(env);
  }

 private:
  static inline RowsHint hint_;
  Table table_{Kind::TableSchema(), hint_.get()};
};

template <typename Kind>
class GetObjectTask : public Task {
 public:
  explicit GetObjectTask(uint32_t id) : id_(id) {}
  bool Run(Failure& failure) override {
    Fd fd = OpenById(Kind::kSpace, id_, failure);
    typename Kind::Context context;
    return fd.valid() && Kind::Read(fd.get(), table_, context, failure);
  }
  Napi::Value Result(Napi::Env env) override { return table_.ToJs(env); }

 private:
  uint32_t id_;
  Table table_{Kind::TableSchema(), 1};
};

// Registers `list<Name>` and `get<Name>` for one kind, and its table schema under schemas.<kind>.
template <typename Kind>
void ExportListAndGet(Napi::Env env, Napi::Object exports, const char* kind, const char* list_name,
                      const char* get_name) {
  ExportSchema(env, exports, kind, Kind::TableSchema());
  exports.Set(list_name, Napi::Function::New(
                             env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                               return RunAsync(info.Env(), std::make_unique<ListObjectsTask<Kind>>());
                             },
                             list_name));
  exports.Set(get_name, Napi::Function::New(
                            env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                              uint32_t id;
                              if (!ArgU32(info, 0, &id)) return ThrowType(info.Env(), "id must be a u32");
                              return RunAsync(info.Env(), std::make_unique<GetObjectTask<Kind>>(id));
                            },
                            get_name));
}

}  // namespace bpfscope
