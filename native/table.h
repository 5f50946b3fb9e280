// Records in columns, for listings that return thousands of objects. Building one JS object per
// record through N-API costs a call per property; a table crosses the boundary as a handful of
// typed arrays, and src/table.ts turns it into objects. A missing value (a field the kernel did not
// report) stays missing: NaN in a number column, an unset bit for bigints, undefined for strings.
//
// A kind declares its columns once with X-macros (see programs.cc), which give both the column
// indices and the names JS sees:
//   #define MY_NUMBERS(X) X(id) X(type)        → k_id, k_type; names "id", "type"
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
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
  Napi::Object ToJs(Napi::Env env) const;
};

class Table {
 public:
  explicit Table(const Schema& schema) : schema_(&schema) {}

  // Starts a new row with every value missing; the setters below write into it.
  void AddRow();
  void Number(size_t col, double v) { numbers_[row_ * schema_->numbers.size() + col] = v; }
  void Boolean(size_t col, bool v) { booleans_[row_ * schema_->booleans.size() + col] = v ? 1 : 0; }
  void BigInt(size_t col, uint64_t v) {
    size_t at = row_ * schema_->bigints.size() + col;
    bigints_[at] = v;
    has_bigint_[at] = 1;
  }
  void String(size_t col, std::string v) {
    size_t at = row_ * schema_->strings.size() + col;
    strings_[at] = std::move(v);
    has_string_[at] = 1;
  }
  void List(const uint32_t* values, size_t n) {
    list_.insert(list_.end(), values, values + n);
    list_end_[row_] = static_cast<uint32_t>(list_.size());
  }
  size_t rows() const { return rows_; }

  // { rows, numbers: Float64Array, booleans: Uint8Array (2 = missing), bigints: BigUint64Array,
  //   hasBigint: Uint8Array, strings: (string|undefined)[], list: Uint32Array, listEnd: Uint32Array }
  Napi::Object ToJs(Napi::Env env) const;

 private:
  const Schema* schema_;
  size_t rows_ = 0, row_ = 0;
  std::vector<double> numbers_;
  std::vector<uint8_t> booleans_;
  std::vector<uint64_t> bigints_;
  std::vector<uint8_t> has_bigint_;
  std::vector<std::string> strings_;
  std::vector<uint8_t> has_string_;
  std::vector<uint32_t> list_;
  std::vector<uint32_t> list_end_;
};

}  // namespace bpfscope
