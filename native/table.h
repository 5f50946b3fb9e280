// Records in columns, for listings that return thousands of objects. Building one JS object per
// record through N-API costs a call per property; a table crosses the boundary as a handful of
// typed arrays, and src/table.ts turns it into objects. A missing value (a field the kernel did not
// report) stays missing: NaN in a number column, an unset bit for bigints, undefined for strings.
//
// A kind declares its columns once with X-macros (see programs.cc), which give both the column
// indices and the names JS sees:
//   #define MY_NUMBERS(X) X(id) X(type)        → k_id, k_type; names "id", "type"
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common.h"

#define BPFSCOPE_COLUMN_ENUM(name) k_##name,
#define BPFSCOPE_COLUMN_NAME(name) #name,

namespace bpfscope {

struct Schema {
  std::vector<const char*> numbers;   // u32/s32/double values
  std::vector<const char*> booleans;  // 0/1 values, JS booleans
  std::vector<const char*> bigints;   // u64 values, JS bigints
  std::vector<const char*> strings;
  const char* list = nullptr;         // one u32[] column (e.g. a program's map ids), or none
  const char* bigint_list = nullptr;  // one u64[] column (e.g. a uprobe_multi link's offsets), or none
  Napi::Object ToJs(Napi::Env env) const;
};

class Table {
 public:
  // `capacity`: rows to reserve. A listing passes the count it had last time (RowsHint), so that
  // one repeated by a poller fills its columns without growing (and copying) them.
  explicit Table(const Schema& schema, size_t capacity = 0) : schema_(&schema), last_id_(schema.strings.size(), 0) {
    Grow(capacity);
  }

  // Starts a new row with every value missing; the setters below write into it. Rows are
  // allocated ahead, doubling, so starting one is cheap (a dump adds thousands, one per message).
  void AddRow();
  void Number(size_t col, double v) { number_row_[col] = v; }
  void Boolean(size_t col, bool v) { boolean_row_[col] = v ? 1 : 0; }
  void BigInt(size_t col, uint64_t v) {
    bigint_row_[col] = v;
    has_bigint_row_[col] = 1;
  }
  // Text up to its first NUL (a C string's end). A value equal to the one above it in its column
  // is stored once: columns such as a link's kind, qdisc or broadcast address repeat row after
  // row, while names and addresses are unique, where a hash lookup per cell would cost more than
  // it saves.
  void String(size_t col, std::string_view v);
  void List(const uint32_t* values, size_t n) {
    list_.insert(list_.end(), values, values + n);
    list_end_[row_] = static_cast<uint32_t>(list_.size());
  }
  void BigIntList(const uint64_t* values, size_t n) {
    bigint_list_.insert(bigint_list_.end(), values, values + n);
    bigint_list_end_[row_] = static_cast<uint32_t>(bigint_list_.size());
  }
  size_t rows() const { return rows_; }

  // { rows, numbers: Float64Array, booleans: Uint8Array (2 = missing), bigints: BigUint64Array,
  //   hasBigint: Uint8Array, stringIds: Uint32Array (0 = missing), stringPool: string, list:
  //   Uint32Array, listEnd: Uint32Array, and with a bigint list, bigintList: BigUint64Array,
  //   bigintListEnd: Uint32Array }. stringPool holds the stored values, each after a NUL:
  //   value k (k ≥ 1) is stringPool.split('\0')[k]. One JS string for the whole table, not one
  //   N-API call per cell. The columns move into the JS buffers: the table is empty afterwards.
  Napi::Object ToJs(Napi::Env env);

 private:
  void Grow(size_t capacity);
  const Schema* schema_;
  size_t rows_ = 0, row_ = 0, capacity_ = 0;
  // The current row's cells in each column kind.
  double* number_row_ = nullptr;
  uint8_t* boolean_row_ = nullptr;
  uint64_t* bigint_row_ = nullptr;
  uint8_t* has_bigint_row_ = nullptr;
  uint32_t* string_row_ = nullptr;
  std::vector<double> numbers_;
  std::vector<uint8_t> booleans_;
  std::vector<uint64_t> bigints_;
  std::vector<uint8_t> has_bigint_;
  struct Span {
    uint32_t offset, size;
  };
  std::vector<uint32_t> string_ids_;
  std::string pool_;               // "\0value\0value…"
  std::vector<Span> values_{{0, 0}};  // value k's place in pool_ (k = 0: missing)
  std::vector<uint32_t> last_id_;  // per column: the id of the value stored last
  std::vector<uint32_t> list_;
  std::vector<uint32_t> list_end_;
  std::vector<uint64_t> bigint_list_;
  std::vector<uint32_t> bigint_list_end_;  // only for a schema with a bigint list
};

// How many rows one kind of listing had last time (each listing keeps its own: a getProgram of
// one row says nothing about the next listPrograms).
// Publishes a kind's columns as exports.schemas.<kind>, which src/table.ts reads rows with.
void ExportSchema(Napi::Env env, Napi::Object exports, const char* kind, const Schema& schema);

class RowsHint {
 public:
  size_t get() const { return rows_.load(std::memory_order_relaxed); }
  void set(size_t rows) { rows_.store(rows, std::memory_order_relaxed); }

 private:
  std::atomic<size_t> rows_{0};
};

}  // namespace bpfscope
