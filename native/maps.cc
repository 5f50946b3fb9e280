#include "maps.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "btf.h"
#include "dump_memory.h"
#include "errors.h"
#include "map_diff.h"
#include "handle.h"
#include "ids.h"
#include "task.h"
#include "uapi_compat.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; glibc names it from 2.35
#endif

namespace bpfscope::maps {

#define MAP_NUMBERS(X)                                                                                       \
  X(id) X(type) X(keySize) X(valueSize) X(maxEntries) X(flags) X(btfId) X(btfKeyTypeId) X(btfValueTypeId) \
  X(btfVmlinuxValueTypeId) X(btfVmlinuxId) X(offloadIfindex) X(ownerProgType)
#define MAP_BOOLEANS(X) X(frozen) X(ownerJited)
#define MAP_BIGINTS(X) X(mapExtra) X(bytesMemlock)
#define MAP_STRINGS(X) X(name)

namespace {
enum Numbers { MAP_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Booleans { MAP_BOOLEANS(BPFSCOPE_COLUMN_ENUM) };
enum Bigints { MAP_BIGINTS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { MAP_STRINGS(BPFSCOPE_COLUMN_ENUM) };
}  // namespace

const Schema& TableSchema() {
  static const Schema schema{{MAP_NUMBERS(BPFSCOPE_COLUMN_NAME)},
                             {MAP_BOOLEANS(BPFSCOPE_COLUMN_NAME)},
                             {MAP_BIGINTS(BPFSCOPE_COLUMN_NAME)},
                             {MAP_STRINGS(BPFSCOPE_COLUMN_NAME)}};
  return schema;
}

namespace {

std::string MapName(uint32_t id) { return "map " + std::to_string(id); }

// Per-CPU maps return one value per possible CPU, each padded to 8 bytes (kernel bpf_map_value_size).
bool IsPerCpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

// Arrays always hold exactly max_entries elements, so a dump knows its size up front.
bool IsArray(uint32_t type) { return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY; }

// What one lookup of the map writes, from its info.
bool ShapeOf(const struct bpf_map_info& info, Shape* out, Failure& failure) {
  out->id = info.id;
  out->type = info.type;
  out->key_size = info.key_size;
  out->value_size = info.value_size;
  out->max_entries = info.max_entries;
  out->cpus = 0;
  out->value_stride = info.value_size;
  if (IsPerCpu(info.type)) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) return failure.Set(-cpus, "libbpf_num_possible_cpus", "/sys/devices/system/cpu/possible");
    out->cpus = static_cast<uint32_t>(cpus);
    out->value_stride = ((info.value_size + 7) & ~7u) * out->cpus;
  }
  return true;
}

// One row of the map's info and, with `shape`, its shape from the same BPF_OBJ_GET_INFO_BY_FD.
bool ReadRow(int fd, Table& table, Failure& failure, Shape* shape) {
  struct bpf_map_info info {};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", "map fd " + std::to_string(fd));
  if (shape && !ShapeOf(info, shape, failure)) return false;
  std::string fdinfo = ReadFdinfo(fd);
  uint64_t memlock = 0, frozen = 0;
  bool has_memlock = FdinfoU64(fdinfo, "memlock", &memlock);
  bool has_frozen = FdinfoU64(fdinfo, "frozen", &frozen);
  // A prog_array takes the type and JIT state of the first program that uses it (tail calls must
  // match); fdinfo says them once it has one (bpf_map_show_fdinfo), and bpftool prints both.
  uint64_t owner_type = 0, owner_jited = 0;
  bool has_owner = FdinfoU64(fdinfo, "owner_prog_type", &owner_type) && FdinfoU64(fdinfo, "owner_jited", &owner_jited);

  table.AddRow();
  table.Number(k_id, info.id);
  table.Number(k_type, info.type);
  table.String(k_name, std::string(info.name, strnlen(info.name, sizeof(info.name))));
  table.Number(k_keySize, info.key_size);
  table.Number(k_valueSize, info.value_size);
  table.Number(k_maxEntries, info.max_entries);
  table.Number(k_flags, info.map_flags);
  if (info.btf_id) {
    table.Number(k_btfId, info.btf_id);
    table.Number(k_btfKeyTypeId, info.btf_key_type_id);
    table.Number(k_btfValueTypeId, info.btf_value_type_id);
  }
  if (info.btf_vmlinux_value_type_id) table.Number(k_btfVmlinuxValueTypeId, info.btf_vmlinux_value_type_id);
  if (len >= BPFSCOPE_OFFSETOFEND(struct bpf_map_info, map_extra)) table.BigInt(k_mapExtra, info.map_extra);
  if (uint32_t btf_vmlinux_id = uapi::MapBtfVmlinuxId(info)) table.Number(k_btfVmlinuxId, btf_vmlinux_id);
  if (info.ifindex) table.Number(k_offloadIfindex, info.ifindex);
  if (has_frozen) table.Boolean(k_frozen, frozen != 0);
  if (has_owner) {
    table.Number(k_ownerProgType, owner_type);
    table.Boolean(k_ownerJited, owner_jited != 0);
  }
  if (has_memlock) table.BigInt(k_bytesMemlock, memlock);
  return true;
}

}  // namespace

bool Read(int fd, Table& table, Context&, Failure& failure) { return ReadRow(fd, table, failure, nullptr); }

namespace {

// The fd a task works on: borrowed for a synchronous call, a dup owned by the task for an async one.
struct TaskFd {
  Fd owned;
  int fd = -1;
  // The map's shape as its handle kept it when the map was opened (FdHandle::New).
  Shape shape;
  // Reads the map handle in argument `i`; false with a JS exception pending.
  bool From(const Napi::CallbackInfo& info, size_t i, bool sync) {
    if (info.Length() <= i) {
      Napi::TypeError::New(info.Env(), "expected a map handle").ThrowAsJavaScriptException();
      return false;
    }
    if (sync) {
      fd = FdHandle::FdOf(info[i]);
    } else {
      owned = FdHandle::DupOf(info[i]);
      fd = owned.get();
    }
    if (fd < 0) return false;
    std::optional<Shape> kept = FdHandle::MapShapeOf(info[i]);
    if (!kept) {
      Napi::TypeError::New(info.Env(), "expected a map handle").ThrowAsJavaScriptException();
      return false;
    }
    shape = *kept;
    return true;
  }
};

// openMap: by id (number) or by pinned path (string). Resolves to { handle, info }.
class OpenTask : public Task {
 public:
  explicit OpenTask(uint32_t id) : id_(id) {}
  explicit OpenTask(std::string path) : path_(std::move(path)) {}

  bool Run(Failure& failure) override {
    if (id_) {
      fd_ = OpenById(kMaps, id_, failure);
      if (!fd_.valid()) return false;
    } else {
      // Read-only: bpfscope never writes a map, and a pin others may read but not write (0644)
      // then opens without CAP_DAC_OVERRIDE. A pinned program or link fails the fdinfo check
      // below, or (kernels that refuse to open them read-only) with EINVAL here.
      LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
      fd_.Reset(bpf_obj_get_opts(path_.c_str(), &opts));
      if (!fd_.valid()) {
        int err = errno;
        if (err == EACCES) return ObjGetAccessDenied(path_, failure);
        return failure.Set(err, "BPF_OBJ_GET", path_, err == EINVAL ? "the object pinned there is not a map" : "");
      }
      // Only a map's fdinfo has map_id; a pinned program or link would otherwise read as garbage.
      uint64_t map_id = 0;
      if (!FdinfoU64(ReadFdinfo(fd_.get()), "map_id", &map_id))
        return failure.Set(EINVAL, "BPF_OBJ_GET", path_, "the object pinned there is not a map");
    }
    if (!ReadRow(fd_.get(), table_, failure, &shape_)) return false;
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) return failure.Set(-cpus, "libbpf_num_possible_cpus", "/sys/devices/system/cpu/possible");
    cpus_ = static_cast<uint32_t>(cpus);
    return true;
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("info", table_.ToJs(env));
    o.Set("possibleCpus", cpus_);
    o.Set("valueStride", shape_.value_stride);
    o.Set("perCpu", Napi::Boolean::New(env, shape_.cpus != 0));
    o.Set("handle", FdHandle::New(env, std::move(fd_), "map", shape_));
    return o;
  }

 private:
  uint32_t id_ = 0;
  std::string path_;
  Fd fd_;
  Table table_{TableSchema(), 1};  // one row
  Shape shape_;
  uint32_t cpus_ = 0;
};

Napi::Value OpenMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id;
  std::string path;
  if (ArgU32(info, 0, &id) && id != 0) return RunAsync(env, std::make_unique<OpenTask>(id));
  if (ArgString(info, 0, &path)) return RunAsync(env, std::make_unique<OpenTask>(std::move(path)));
  return ThrowType(env, "openMap(id | path)");
}

// One lookup of `key` (key_len bytes) into `value` (shape.value_stride bytes). `*found` is false
// when the map has no such key: undefined for JS, not an error.
bool LookupInto(int fd, const Shape& shape, const uint8_t* key, size_t key_len, uint8_t* value, bool* found,
                Failure& failure) {
  *found = false;
  if (key_len != shape.key_size)
    return failure.Set(EINVAL, "BPF_MAP_LOOKUP_ELEM", MapName(shape.id),
                       "the key must be " + std::to_string(shape.key_size) + " bytes");
  if (bpf_map_lookup_elem(fd, key, value) != 0) {
    if (errno == ENOENT) return true;
    return failure.Set(errno, "BPF_MAP_LOOKUP_ELEM", MapName(shape.id));
  }
  *found = true;
  return true;
}

// mapLookup(handle, key) → a promise of the value (per-CPU maps: every CPU's, packed), or undefined.
class LookupTask : public Task {
 public:
  LookupTask(TaskFd fd, const uint8_t* key, size_t key_len) : fd_(std::move(fd)), key_(key, key + key_len) {}

  bool Run(Failure& failure) override {
    value_.resize(fd_.shape.value_stride);
    return LookupInto(fd_.fd, fd_.shape, key_.data(), key_.size(), value_.data(), &found_, failure);
  }

  Napi::Value Result(Napi::Env env) override {
    return found_ ? Bytes(env, value_.data(), value_.size()) : env.Undefined();
  }

 private:
  TaskFd fd_;
  std::vector<uint8_t> key_, value_;
  bool found_ = false;
};

Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsBuffer()) return ThrowType(env, "mapLookup(handle, key)");
  TaskFd fd;
  if (!fd.From(info, 0, false)) return env.Undefined();
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  return RunAsync(env, std::make_unique<LookupTask>(std::move(fd), key.Data(), key.Length()));
}

// mapLookupInto(handle, key, value) → whether the map holds `key`, whose value the kernel then
// wrote into `value` (a Buffer of the map's value stride): lookupSync(), on the calling thread
// with no task, copy or allocation here, for loops that look keys up many times a second.
Napi::Value MapLookupInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsBuffer() || !info[2].IsBuffer()) return ThrowType(env, "mapLookupInto(handle, key, value)");
  TaskFd fd;
  if (!fd.From(info, 0, true)) return env.Undefined();
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto value = info[2].As<Napi::Buffer<uint8_t>>();
  // The kernel writes value_stride bytes: a shorter buffer would be written past its end.
  if (value.Length() != fd.shape.value_stride) return ThrowType(env, "mapLookupInto: the value buffer must be the map's value stride");
  Failure failure;
  bool found = false;
  if (!LookupInto(fd.fd, fd.shape, key.Data(), key.Length(), value.Data(), &found, failure)) return errors::Throw(env, failure);
  return Napi::Boolean::New(env, found);
}

// One packed array of fixed-size records that the kernel writes in place. It starts in a JS Buffer
// handed back for reuse (a poller's buffer from two ticks ago), in a collected dump's memory
// (dump_memory.h), or empty, and moves to malloc'd memory when it must grow. Malloc'd memory
// becomes an external Buffer without a copy.
class Packed {
 public:
  Packed() = default;
  Packed(const Packed&) = delete;
  Packed& operator=(const Packed&) = delete;
  ~Packed() {
    if (owned_) std::free(data_);
  }

  // Borrowed and adopted memory held an earlier dump: resident already, but for whatever slack
  // that dump left unwritten, which takes a fault per page if a grown map reaches it.
  void Borrow(uint8_t* data, size_t bytes) {
    data_ = data;
    capacity_ = resident_ = bytes;
    lately_read_ = true;
  }
  // Fills a collected dump's memory (dump_memory::Take), which it then owns. No CPU holds its
  // lines: tens of MiB of other dumps came between its last use and the collection that freed it.
  void Adopt(const dump_memory::Block& block) {
    data_ = static_cast<uint8_t*>(block.data);
    capacity_ = resident_ = block.capacity;
    owned_ = true;
  }
  // Makes room for `bytes`, keeping the first `used` bytes.
  bool Reserve(size_t bytes, size_t used) {
    if (bytes <= capacity_) return true;
    void* grown = owned_ ? std::realloc(data_, bytes) : std::malloc(bytes);
    if (!grown) return false;
    if (!owned_) {
      // Only what is copied is resident; a realloc keeps (or moves) the pages it had.
      if (used) std::memcpy(grown, data_, used);
      resident_ = used;
    }
    data_ = static_cast<uint8_t*>(grown);
    capacity_ = bytes;
    owned_ = true;
    return true;
  }
  // Faults in, in one call, the pages of [offset, offset + bytes) that are not resident yet: fresh
  // memory otherwise takes one page fault per 4 KiB inside the kernel's copy to user space. Linux
  // 5.14+; elsewhere a no-op. At most 256 KiB: a batch may return far fewer entries than it has
  // room for (a sparse map, per-CPU values on a machine with hundreds of CPUs), and pages never
  // written should stay untouched; past that size the faults are a small part of the copy anyway.
  // Memory already resident is skipped: the call still walks its pages (4 µs per 256 KiB here).
  void Prefault(size_t offset, size_t bytes) {
    static const uintptr_t kPage = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    size_t from = std::max(offset, resident_), to = offset + std::min<size_t>(bytes, 256 << 10);
    if (from >= to) return;
    uintptr_t start = reinterpret_cast<uintptr_t>(data_ + from) & ~(kPage - 1);
    uintptr_t end = (reinterpret_cast<uintptr_t>(data_ + to) + kPage - 1) & ~(kPage - 1);
    madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
  }
  // Takes the cache lines of [offset, offset + bytes) for this thread's CPU before the kernel writes
  // entries there, by zeroing them: memset hands over whole lines without reading them. Off the
  // main thread a dump fills buffers the main thread has read (a released dump it decoded, a
  // poller's it diffed), and where the two CPUs share no cache the kernel's copy of each small
  // entry waits for the other CPU to give up its line. On 2026-12-06, while this VM's two vCPUs
  // were placed so, a C dump of 10,000 entries on a second thread took 1.16 ms after the first
  // thread had read the values, 0.61 ms after it had not, and 0.69 ms with the zeroing; an
  // `await dump()` after records() of the last one, 0.94 ms with it and 1.27 ms without. Where the
  // CPUs share a cache (the same VM later that hour) the zeroing costs 2.5-3% of a dump. Fresh
  // memory is left to Prefault, and a collected dump's is left alone: no CPU caches its lines, and
  // if nothing read that dump, the zeroing is the first user-space write to pages only the kernel
  // wrote, which a hypervisor that shadows the guest's page tables per mode (this VM's, PVM) makes
  // cost 5-6 µs a page: 10,000-entry dumps dropped unread took 1.24-1.68 ms instead of
  // 0.71-0.93 ms until every kept block had been zeroed once (docs/maps.md).
  void Claim(size_t offset, size_t bytes) {
    if (!lately_read_) return;
    size_t to = std::min(offset + bytes, resident_);
    if (offset < to) std::memset(data_ + offset, 0, to - offset);
  }
  // Gives back memory a dump does not use. A one-off dump keeps at most a quarter of slack. A dump
  // into reused buffers (a poller's, a released or collected dump's) is reused in turn, so it keeps
  // what room its growth left, up to dump_memory::ReusedSlack: a growing map then grows the
  // buffers once per doubling, not on every tick. Past that (a map that shrank), what was used
  // moves to an allocation of its own and the large buffer goes back, a borrowed one to the
  // garbage collector; kept, it would stay that large for as long as it was reused.
  void Trim(size_t used, bool reused) {
    if (capacity_ - used <= (reused ? dump_memory::ReusedSlack(used) : used / 4)) return;
    if (!owned_) {
      void* own = used ? std::malloc(used) : nullptr;
      if (used && !own) return;  // keep the borrowed buffer: still correct, only larger
      if (used) std::memcpy(own, data_, used);
      data_ = static_cast<uint8_t*>(own);
      capacity_ = resident_ = used;
      owned_ = used != 0;
      return;
    }
    if (used == 0) {
      // An empty map: keep nothing. Kept, the first reservation (up to 256 MiB for a map with
      // max_entries 16M) went to JS as an external Buffer on every poll, with a poller holding two.
      std::free(data_);
      data_ = nullptr;
      capacity_ = resident_ = 0;
      owned_ = false;
      return;
    }
    if (void* smaller = std::realloc(data_, used)) {
      data_ = static_cast<uint8_t*>(smaller);
      capacity_ = resident_ = used;
    }
  }
  uint8_t* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  bool owned() const { return owned_; }
  uint8_t* Release() {
    owned_ = false;
    return data_;
  }

 private:
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  size_t resident_ = 0;  // the first bytes known to be resident
  bool owned_ = false;
  bool lately_read_ = false;  // a buffer JS handed back: the main thread may hold its lines
};

// Entries per BPF_MAP_LOOKUP_BATCH call: past ~64 the syscall cost is amortised (reference §3.5);
// larger calls only grow the first reservation.
constexpr size_t kBatchEntries = 4096;
// Up to this many bytes are reserved for a dump before the first call (see Batch()).
constexpr size_t kFirstReservationBytes = size_t(256) << 20;
// A reused buffer with less room than this left is grown rather than filled by tiny calls.
constexpr size_t kMinBatchEntries = 256;
// An iterating dump gives up on a walk that started over this many map-fulls of keys (Iterate()).
constexpr size_t kWalkMaps = 16;

// mapDump(handle, sync, iterate, reuseKeys?, reuseValues?, expectedCount?) → { count, keys, values, batched, … }.
// BPF_MAP_LOOKUP_BATCH in bounded calls straight into the packed buffers; get_next_key + lookup
// (bpftool's way) when the map type has no batch ops (524) or the kernel predates them (EINVAL).
// Without buffers to reuse, a dump fills the memory of collected dumps when some of about the size
// of `expectedCount` entries (what the map's last dump read) is kept (dump_memory.h).
class DumpTask : public Task {
 public:
  DumpTask(TaskFd fd, bool iterate, uint32_t expected, bool off_thread)
      : fd_(std::move(fd)), iterate_(iterate), off_thread_(off_thread), expected_(expected) {}

  void Reuse(Napi::Value keys, Napi::Value values) {
    if (!keys.IsBuffer() || !values.IsBuffer()) return;
    auto k = keys.As<Napi::Buffer<uint8_t>>();
    auto v = values.As<Napi::Buffer<uint8_t>>();
    // Held until the task is destroyed (main thread), so the memory outlives Run().
    keys_ref_ = Napi::Persistent(k);
    values_ref_ = Napi::Persistent(v);
    keys_.Borrow(k.Data(), k.Length());
    values_.Borrow(v.Data(), v.Length());
    reused_ = true;
  }

  bool Run(Failure& failure) override {
    if (!iterate_) {
      for (int attempt = 0;; attempt++) {
        if (Batch(failure)) {
          batched_ = true;
          return Done();
        }
        bool no_batch_ops = failure.err == uapi::kENOTSUPP || failure.err == EINVAL;
        // The generic (array, LPM) batch gives up with EINTR when keys vanish under it (kernels
        // before the 2025 generic_map_lookup_batch fix): start over.
        bool interrupted = failure.err == EINTR && attempt < 3;
        if (!no_batch_ops && !interrupted) return false;
        failure = Failure();
        if (no_batch_ops) break;  // iterate instead
      }
    }
    return Iterate(failure) && Done();
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("count", static_cast<double>(count_));
    o.Set("batched", Napi::Boolean::New(env, batched_));
    o.Set("keySize", fd_.shape.key_size);
    o.Set("valueSize", fd_.shape.value_size);
    o.Set("valueStride", fd_.shape.value_stride);
    o.Set("cpus", fd_.shape.cpus);
    o.Set("keys", Take(env, keys_, keys_ref_));
    o.Set("values", Take(env, values_, values_ref_));
    return o;
  }

 private:
  // Records both buffers can hold now.
  size_t Capacity() const {
    size_t ks = fd_.shape.key_size, vs = fd_.shape.value_stride;
    size_t by_keys = ks ? keys_.capacity() / ks : SIZE_MAX, by_values = vs ? values_.capacity() / vs : SIZE_MAX;
    return std::min(by_keys, by_values);
  }

  // Room for `entries` records in both buffers, growing geometrically.
  bool Room(size_t entries, Failure& failure) {
    size_t ks = fd_.shape.key_size, vs = fd_.shape.value_stride;
    if (entries * ks <= keys_.capacity() && entries * vs <= values_.capacity()) return true;
    size_t have = Capacity() == SIZE_MAX ? 0 : Capacity();
    size_t want = std::max({entries, have * 2, size_t(64)});
    if (IsArray(fd_.shape.type)) want = std::max<size_t>(entries, fd_.shape.max_entries);
    if (!keys_.Reserve(want * ks, count_ * ks) || !values_.Reserve(want * vs, count_ * vs))
      return failure.Set(ENOMEM, "malloc", MapName(fd_.shape.id), std::to_string(want) + " entries");
    return true;
  }

  // Collected dumps' memory for both buffers, sized for the entries the map's last dump read.
  // It is resident already: no page to fault in or zero. Filled like a reused buffer, and kept
  // with the same room to grow (see Packed::Trim), since it will be reused in turn.
  bool TakeKept() {
    size_t expected = std::min(expected_, fd_.shape.max_entries);
    dump_memory::Block keys, values;
    if (expected == 0 || !dump_memory::Take(expected * fd_.shape.key_size, expected * fd_.shape.value_stride, &keys, &values)) return false;
    keys_.Adopt(keys);
    values_.Adopt(values);
    reused_ = true;
    return true;
  }

  bool Batch(Failure& failure) {
    const size_t ks = fd_.shape.key_size, vs = fd_.shape.value_stride;
    count_ = 0;
    // First reservation, unless a buffer is being reused: room for max_entries, up to a budget.
    // Pages the map does not fill are never touched, and Done() gives them back; growing by
    // doubling instead would copy and fault the same bytes several times.
    size_t per_entry = std::max<size_t>(ks + vs, 1);
    size_t first = std::min<size_t>(fd_.shape.max_entries, std::max(kFirstReservationBytes / per_entry, kBatchEntries));
    if (keys_.capacity() == 0 && values_.capacity() == 0 && !TakeKept() && !Room(first, failure)) return false;
    // Hash maps' tokens are a u32 bucket index, generic ones (array, LPM) a whole key.
    std::vector<uint8_t> in(std::max<size_t>(ks, 4)), out(in.size());
    bool started = false, must_grow = false;
    size_t chunk = kBatchEntries;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    for (;;) {
      size_t want = chunk;
      if (IsArray(fd_.shape.type)) {
        want = std::min<size_t>(chunk, fd_.shape.max_entries - count_);
        if (want == 0) return true;  // every slot read
      } else if (!must_grow && Capacity() - count_ >= kMinBatchEntries) {
        // Fill the room a reused buffer still has before growing it: the kernel stops at whole
        // buckets and, when the rest of the map fits, reports the end (ENOENT) in the same call.
        want = std::min(chunk, Capacity() - count_);
      }
      if (!Room(count_ + want, failure)) return false;
      keys_.Prefault(count_ * ks, want * ks);
      values_.Prefault(count_ * vs, want * vs);
      if (off_thread_) {
        keys_.Claim(count_ * ks, want * ks);
        values_.Claim(count_ * vs, want * vs);
      }
      uint32_t n = static_cast<uint32_t>(want);
      int err = bpf_map_lookup_batch(fd_.fd, started ? in.data() : nullptr, out.data(), keys_.data() + count_ * ks,
                                     values_.data() + count_ * vs, &n, &opts);
      int e = err ? errno : 0;
      if (e == ENOSPC && n == 0 && want < fd_.shape.max_entries) {
        // One hash bucket holds more than `want` elements, and the kernel copies whole buckets.
        chunk = std::max(chunk, want) * 2;
        must_grow = true;
        continue;
      }
      must_grow = false;
      if (e && e != ENOENT) return failure.Set(e, "BPF_MAP_LOOKUP_BATCH", MapName(fd_.shape.id));
      count_ += n;
      if (e == ENOENT) return true;  // end of map, after consuming what this last call copied
      std::swap(in, out);
      started = true;
    }
  }

  bool Iterate(Failure& failure) {
    const size_t ks = fd_.shape.key_size, vs = fd_.shape.value_stride;
    const size_t max = fd_.shape.max_entries;
    count_ = 0;
    std::vector<uint8_t> key(std::max<size_t>(ks, 1)), next(key.size());
    const void* prev = nullptr;
    // get_next_key starts over from the first key when its cursor's element was deleted or just
    // replaced, so a walk can read more than max_entries keys before its end. Cut at max_entries
    // reads, it lost every key not reached yet (1,399 of a full 4,000-entry hash map whose values
    // were being updated). Instead, each time the reads fill max_entries more records, the keys
    // read again are dropped (Done() drops them too): the walk ends at the map's end, or once it
    // holds max_entries distinct keys, all such a map holds. cgroup storage maps have max_entries
    // 0 and one entry per cgroup a program using the map is attached to: no bound there (their
    // get_next_key ends the walk, ENOENT, when its cursor was deleted, rather than starting over).
    const bool bounded = max != 0;
    size_t compact_at = max;
    // Deletes that keep sending the walk back to the start could make it endless: after
    // kWalkMaps × max_entries steps it keeps what it has read.
    const size_t step_limit = kWalkMaps * max;
    for (size_t steps = 0;; steps++) {
      if (bpf_map_get_next_key(fd_.fd, prev, next.data()) != 0) {
        if (errno == ENOENT) return true;
        return failure.Set(errno, "BPF_MAP_GET_NEXT_KEY", MapName(fd_.shape.id));
      }
      key.swap(next);
      prev = key.data();
      if (bounded && steps == step_limit) return true;
      if (bounded && count_ == compact_at) {
        count_ = DropRepeatedKeys(keys_.data(), values_.data(), static_cast<uint32_t>(count_), ks, vs);
        if (count_ == max) return true;
        compact_at = count_ + max;
      }
      if (!Room(count_ + 1, failure)) return false;
      if (bpf_map_lookup_elem(fd_.fd, key.data(), values_.data() + count_ * vs) != 0) {
        if (errno == ENOENT) continue;  // deleted since get_next_key, or an empty prog_array/map-in-map slot
        return failure.Set(errno, "BPF_MAP_LOOKUP_ELEM", MapName(fd_.shape.id));
      }
      std::memcpy(keys_.data() + count_ * ks, key.data(), ks);
      count_++;
    }
  }

  bool Done() {
    // A walk of get_next_key starts over from the first key when the key it stands on is deleted,
    // and reads keys again: bpftool's iteration for every map type, and the kernel's generic batch,
    // which LPM tries use (arrays too, but their next key is the next index, whatever was deleted).
    // Hash maps' batches copy whole buckets and never repeat a key. A repeated key would reach a
    // poller as an added entry, so each dump that may hold one keeps its first reading of each key.
    if (!batched_ || fd_.shape.type == BPF_MAP_TYPE_LPM_TRIE)
      count_ = DropRepeatedKeys(keys_.data(), values_.data(), static_cast<uint32_t>(count_), fd_.shape.key_size,
                                fd_.shape.value_stride);
    keys_.Trim(count_ * fd_.shape.key_size, reused_);
    values_.Trim(count_ * fd_.shape.value_stride, reused_);
    return true;
  }

  // The packed records as a Buffer: the reused JS Buffer itself, or the malloc'd memory (whole
  // capacity, so a poller can reuse the slack) handed to JS without a copy, and to dump_memory
  // when the Buffer is collected.
  static Napi::Value Take(Napi::Env env, Packed& packed, Napi::Reference<Napi::Buffer<uint8_t>>& reused) {
    // Not owned: still the reused buffer, or nothing (an empty map, or a trimmed reused buffer).
    if (!packed.owned()) return packed.data() && !reused.IsEmpty() ? reused.Value() : Napi::Buffer<uint8_t>::New(env, 0);
    size_t length = packed.capacity();
    dump_memory::Lend();
    uint8_t* data = packed.Release();
    auto buffer = Napi::Buffer<uint8_t>::NewOrCopy(env, data, length, [](Napi::Env, uint8_t* d) { dump_memory::Give(d); });
    if (buffer.IsEmpty()) dump_memory::Give(data);  // never handed over: a stopping environment (task.h CanRunJs)
    return buffer;
  }

  TaskFd fd_;
  bool iterate_;
  // Run on libuv's pool rather than the calling thread: see Packed::Claim.
  bool off_thread_;
  Packed keys_, values_;
  Napi::Reference<Napi::Buffer<uint8_t>> keys_ref_, values_ref_;
  size_t count_ = 0;
  bool batched_ = false;
  // Whether the dump fills buffers it was given or kept ones: its own will then be reused too (see Trim).
  bool reused_ = false;
  uint32_t expected_;
};

Napi::Value MapDump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool sync = ArgBool(info, 1), iterate = ArgBool(info, 2);
  TaskFd fd;
  if (!fd.From(info, 0, sync)) return env.Undefined();
  uint32_t expected = 0;  // absent or not a u32: no kept memory is looked for
  ArgU32(info, 5, &expected);
  auto task = std::make_unique<DumpTask>(std::move(fd), iterate, expected, !sync);
  if (info.Length() > 4) task->Reuse(info[3], info[4]);
  return Dispatch(env, std::move(task), sync);
}

// dumpMemory() → what dump_memory keeps, after freeing what it kept too long: src/maps.ts calls it
// every 10 seconds while anything is kept or lent; tests and the benchmark read the counts.
Napi::Value DumpMemory(const Napi::CallbackInfo& info) {
  dump_memory::Stats stats = dump_memory::Expire();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("keptBlocks", static_cast<double>(stats.kept_blocks));
  o.Set("keptBytes", static_cast<double>(stats.kept_bytes));
  o.Set("lentBlocks", static_cast<double>(stats.lent_blocks));
  o.Set("taken", static_cast<double>(stats.taken));
  o.Set("missed", static_cast<double>(stats.missed));
  o.Set("freed", static_cast<double>(stats.freed));
  return o;
}

// mapDiff(oldKeys, oldValues, oldCount, newKeys, newValues, newCount, keySize, valueStride, valueSize, cpus)
//   → Uint32Array [nAdded, nRemoved, nChanged, added new indexes…, removed old indexes…, (old, new) pairs…]
// Pure byte comparison on the main thread; the hash table lives in per-thread scratch reused
// across calls, so a diff allocates only its result. Per-CPU values (cpus > 0) compare without
// their slots' padding (map_diff.h ValueShape).
Napi::Value MapDiff(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t old_count, new_count, ks, vs, size, cpus;
  if (info.Length() < 10 || !info[0].IsBuffer() || !info[1].IsBuffer() || !ArgU32(info, 2, &old_count) ||
      !info[3].IsBuffer() || !info[4].IsBuffer() || !ArgU32(info, 5, &new_count) || !ArgU32(info, 6, &ks) ||
      !ArgU32(info, 7, &vs) || !ArgU32(info, 8, &size) || !ArgU32(info, 9, &cpus))
    return ThrowType(env, "mapDiff(oldKeys, oldValues, oldCount, newKeys, newValues, newCount, keySize, valueStride, valueSize, cpus)");
  // The slots SameValue reads must lie inside each value.
  if (cpus ? uint64_t(cpus) * ((uint64_t(size) + 7) & ~uint64_t(7)) != vs : size != vs)
    return ThrowType(env, "mapDiff: valueStride must be valueSize, or cpus × round_up(valueSize, 8)");
  auto ok = info[0].As<Napi::Buffer<uint8_t>>(), ov = info[1].As<Napi::Buffer<uint8_t>>();
  auto nk = info[3].As<Napi::Buffer<uint8_t>>(), nv = info[4].As<Napi::Buffer<uint8_t>>();
  if (ok.Length() < size_t(old_count) * ks || ov.Length() < size_t(old_count) * vs ||
      nk.Length() < size_t(new_count) * ks || nv.Length() < size_t(new_count) * vs)
    return ThrowType(env, "mapDiff: buffers shorter than count × size");
  const uint8_t *okd = ok.Data(), *ovd = ov.Data(), *nkd = nk.Data(), *nvd = nv.Data();

  std::vector<uint32_t> added, removed, changed;
  DiffPacked({okd, ovd, old_count}, {nkd, nvd, new_count}, ks, {vs, size, cpus}, &added, &removed, &changed);
  size_t total = 3 + added.size() + removed.size() + changed.size();
  Napi::Uint32Array out = Napi::Uint32Array::New(env, total);
  if (out.IsEmpty()) return out;  // a stopping environment (task.h CanRunJs)
  uint32_t* o = out.Data();
  o[0] = static_cast<uint32_t>(added.size());
  o[1] = static_cast<uint32_t>(removed.size());
  o[2] = static_cast<uint32_t>(changed.size() / 2);
  o += 3;
  for (auto* list : {&added, &removed, &changed}) {
    if (!list->empty()) std::memcpy(o, list->data(), list->size() * sizeof(uint32_t));
    o += list->size();
  }
  return out;
}

// mapBtf(handle, sync) → { keyTypeId, valueTypeId, types } for the map's key and value types, or
// undefined when the map has no BTF. The BTF object is read off the main thread; the type table
// (a walk of memory already read) is built in Result().
class BtfTask : public Task {
 public:
  explicit BtfTask(TaskFd fd) : fd_(std::move(fd)) {}

  bool Run(Failure& failure) override {
    struct bpf_map_info info {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd_.fd, &info, &len) != 0)
      return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", "map fd " + std::to_string(fd_.fd));
    key_type_ = info.btf_key_type_id;
    if (info.btf_vmlinux_value_type_id) {
      // struct_ops maps: the value is a kernel type, described by vmlinux BTF (as bpftool does).
      value_type_ = info.btf_vmlinux_value_type_id;
      btf_.reset(libbpf_find_kernel_btf());
      if (!btf_) return failure.Set(errno, "BPF_BTF_GET_FD_BY_ID", "vmlinux BTF");
    } else if (info.btf_id && info.btf_value_type_id) {
      value_type_ = info.btf_value_type_id;
      btf_.reset(btf__load_from_kernel_by_id(info.btf_id));
      if (!btf_) return failure.Set(errno, "BPF_BTF_GET_FD_BY_ID", "BTF " + std::to_string(info.btf_id));
    }
    return true;
  }

  Napi::Value Result(Napi::Env env) override {
    if (!btf_) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    if (key_type_) o.Set("keyTypeId", key_type_);
    o.Set("valueTypeId", value_type_);
    o.Set("types", DescribeBtfTypes(env, btf_.get(), {key_type_, value_type_}));
    return o;
  }

 private:
  struct BtfFree {
    void operator()(struct btf* b) const { btf__free(b); }
  };
  TaskFd fd_;
  std::unique_ptr<struct btf, BtfFree> btf_;
  uint32_t key_type_ = 0, value_type_ = 0;
};

Napi::Value MapBtf(const Napi::CallbackInfo& info) {
  bool sync = ArgBool(info, 1);
  TaskFd fd;
  if (!fd.From(info, 0, sync)) return info.Env().Undefined();
  return Dispatch(info.Env(), std::make_unique<BtfTask>(std::move(fd)), sync);
}

}  // namespace

namespace {

struct Kind {
  using Context = maps::Context;
  static constexpr const IdSpace& kSpace = kMaps;
  static const Schema& TableSchema() { return maps::TableSchema(); }
  static bool Read(int fd, Table& table, Context& context, Failure& failure) {
    return maps::Read(fd, table, context, failure);
  }
};

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportListAndGet<Kind>(env, exports, "map", "listMaps", "getMapInfo");
  exports.Set("openMap", Napi::Function::New(env, OpenMap, "openMap"));
  exports.Set("mapLookup", Napi::Function::New(env, MapLookup, "mapLookup"));
  exports.Set("mapLookupInto", Napi::Function::New(env, MapLookupInto, "mapLookupInto"));
  exports.Set("mapDump", Napi::Function::New(env, MapDump, "mapDump"));
  exports.Set("dumpMemory", Napi::Function::New(env, DumpMemory, "dumpMemory"));
  exports.Set("mapDiff", Napi::Function::New(env, MapDiff, "mapDiff"));
  exports.Set("mapBtf", Napi::Function::New(env, MapBtf, "mapBtf"));
}

}  // namespace bpfscope::maps
