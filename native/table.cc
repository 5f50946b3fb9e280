#include "table.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace bpfscope {

namespace {

Napi::Array Names(Napi::Env env, const std::vector<const char*>& names) {
  Napi::Array a = Napi::Array::New(env, names.size());
  for (uint32_t i = 0; i < names.size(); i++) a.Set(i, names[i]);
  return a;
}

// A column's memory handed to a JS ArrayBuffer without a copy: the buffer frees it when it is
// collected. Small columns (a getProgram's one row) are copied: a copy of a few KiB costs less than
// an external buffer's finalizer, and leaves nothing to free after a GC. So is every column where
// the runtime forbids buffers it did not allocate (Electron's V8 sandbox).
template <typename T>
Napi::ArrayBuffer Adopt(Napi::Env env, std::vector<T>& column) {
  constexpr size_t kAdoptBytes = 16 << 10;
  size_t bytes = column.size() * sizeof(T);
  if (bytes < kAdoptBytes) {
    Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, bytes);
    if (bytes && !copy.IsEmpty()) std::memcpy(copy.Data(), column.data(), bytes);
    return copy;
  }
  auto* owned = new std::vector<T>(std::move(column));
  auto free = [](napi_env, void*, void* hint) { delete static_cast<std::vector<T>*>(hint); };
  napi_value adopted;
  if (napi_create_external_arraybuffer(env, owned->data(), bytes, free, owned, &adopted) == napi_ok)
    return Napi::ArrayBuffer(env, adopted);
  Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, bytes);
  if (!copy.IsEmpty()) std::memcpy(copy.Data(), owned->data(), bytes);
  delete owned;
  return copy;
}

template <typename T, typename Array>
Array Column(Napi::Env env, std::vector<T>& column) {
  size_t n = column.size();
  return Array::New(env, n, Adopt(env, column), 0);
}

// The pool as a one-byte string when it is ASCII (most names are): no UTF-8 decoding.
Napi::String PoolString(Napi::Env env, const std::string& pool) {
  bool ascii = std::all_of(pool.begin(), pool.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) return Napi::String::New(env, pool);
  napi_value s = nullptr;
  napi_create_string_latin1(env, pool.data(), pool.size(), &s);
  return Napi::String(env, s);
}

}  // namespace

Napi::Object Schema::ToJs(Napi::Env env) const {
  Napi::Object o = Napi::Object::New(env);
  o.Set("numbers", Names(env, numbers));
  o.Set("booleans", Names(env, booleans));
  o.Set("bigints", Names(env, bigints));
  o.Set("strings", Names(env, strings));
  if (list) o.Set("list", list);
  if (bigint_list) o.Set("bigintList", bigint_list);
  return o;
}

void Table::Grow(size_t capacity) {
  const Schema& s = *schema_;
  capacity_ = capacity;
  numbers_.resize(capacity_ * s.numbers.size(), std::numeric_limits<double>::quiet_NaN());
  booleans_.resize(capacity_ * s.booleans.size(), 2);
  bigints_.resize(capacity_ * s.bigints.size(), 0);
  has_bigint_.resize(capacity_ * s.bigints.size(), 0);
  string_ids_.resize(capacity_ * s.strings.size(), 0);
  list_end_.reserve(capacity_);
  if (s.bigint_list) bigint_list_end_.reserve(capacity_);
}

void Table::AddRow() {
  const Schema& s = *schema_;
  row_ = rows_++;
  if (rows_ > capacity_) Grow(std::max<size_t>(16, 2 * capacity_));
  number_row_ = numbers_.data() + row_ * s.numbers.size();
  boolean_row_ = booleans_.data() + row_ * s.booleans.size();
  bigint_row_ = bigints_.data() + row_ * s.bigints.size();
  has_bigint_row_ = has_bigint_.data() + row_ * s.bigints.size();
  string_row_ = string_ids_.data() + row_ * s.strings.size();
  list_end_.push_back(static_cast<uint32_t>(list_.size()));
  if (s.bigint_list) bigint_list_end_.push_back(static_cast<uint32_t>(bigint_list_.size()));
}

void Table::String(size_t col, std::string_view v) {
  v = v.substr(0, v.find('\0'));
  uint32_t& last = last_id_[col];
  if (last == 0 || std::string_view(pool_).substr(values_[last].offset, values_[last].size) != v) {
    pool_.push_back('\0');
    values_.push_back({static_cast<uint32_t>(pool_.size()), static_cast<uint32_t>(v.size())});
    pool_.append(v);
    last = static_cast<uint32_t>(values_.size() - 1);
  }
  string_row_[col] = last;
}

Napi::Object Table::ToJs(Napi::Env env) {
  // Rows allocated ahead but never started are not part of the table, and their memory is given
  // back (a listing that shrank since last time).
  const Schema& s = *schema_;
  auto trim = [this](auto& column, size_t width) {
    column.resize(rows_ * width);
    column.shrink_to_fit();
  };
  trim(numbers_, s.numbers.size());
  trim(booleans_, s.booleans.size());
  trim(bigints_, s.bigints.size());
  trim(has_bigint_, s.bigints.size());
  trim(string_ids_, s.strings.size());
  Napi::Object o = Napi::Object::New(env);
  o.Set("rows", static_cast<double>(rows_));
  o.Set("numbers", Column<double, Napi::Float64Array>(env, numbers_));
  o.Set("booleans", Column<uint8_t, Napi::Uint8Array>(env, booleans_));
  o.Set("bigints", Column<uint64_t, Napi::BigUint64Array>(env, bigints_));
  o.Set("hasBigint", Column<uint8_t, Napi::Uint8Array>(env, has_bigint_));
  o.Set("stringIds", Column<uint32_t, Napi::Uint32Array>(env, string_ids_));
  o.Set("stringPool", PoolString(env, pool_));
  o.Set("list", Column<uint32_t, Napi::Uint32Array>(env, list_));
  o.Set("listEnd", Column<uint32_t, Napi::Uint32Array>(env, list_end_));
  if (s.bigint_list) {
    o.Set("bigintList", Column<uint64_t, Napi::BigUint64Array>(env, bigint_list_));
    o.Set("bigintListEnd", Column<uint32_t, Napi::Uint32Array>(env, bigint_list_end_));
  }
  *this = Table(*schema_, 0);
  return o;
}

void ExportSchema(Napi::Env env, Napi::Object exports, const char* kind, const Schema& schema) {
  Napi::Value schemas = exports.Get("schemas");
  if (!schemas.IsObject()) {
    schemas = Napi::Object::New(env);
    exports.Set("schemas", schemas);
  }
  schemas.As<Napi::Object>().Set(kind, schema.ToJs(env));
}

}  // namespace bpfscope
