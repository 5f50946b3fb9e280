#include "table.h"

#include <cstring>
#include <limits>
#include <string_view>
#include <unordered_map>

namespace bpfscope {

namespace {

Napi::Array Names(Napi::Env env, const std::vector<const char*>& names) {
  Napi::Array a = Napi::Array::New(env, names.size());
  for (uint32_t i = 0; i < names.size(); i++) a.Set(i, names[i]);
  return a;
}

template <typename T, typename Array>
Array Copy(Napi::Env env, const std::vector<T>& v) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(buffer.Data(), v.data(), v.size() * sizeof(T));
  return Array::New(env, v.size(), buffer, 0);
}

}  // namespace

Napi::Object Schema::ToJs(Napi::Env env) const {
  Napi::Object o = Napi::Object::New(env);
  o.Set("numbers", Names(env, numbers));
  o.Set("booleans", Names(env, booleans));
  o.Set("bigints", Names(env, bigints));
  o.Set("strings", Names(env, strings));
  if (list) o.Set("list", list);
  return o;
}

void Table::AddRow() {
  row_ = rows_++;
  numbers_.resize(rows_ * schema_->numbers.size(), std::numeric_limits<double>::quiet_NaN());
  booleans_.resize(rows_ * schema_->booleans.size(), 2);
  bigints_.resize(rows_ * schema_->bigints.size(), 0);
  has_bigint_.resize(rows_ * schema_->bigints.size(), 0);
  strings_.resize(rows_ * schema_->strings.size());
  has_string_.resize(rows_ * schema_->strings.size(), 0);
  list_end_.push_back(static_cast<uint32_t>(list_.size()));
}

Napi::Object Table::ToJs(Napi::Env env) const {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rows", static_cast<double>(rows_));
  o.Set("numbers", Copy<double, Napi::Float64Array>(env, numbers_));
  o.Set("booleans", Copy<uint8_t, Napi::Uint8Array>(env, booleans_));
  Napi::ArrayBuffer big = Napi::ArrayBuffer::New(env, bigints_.size() * sizeof(uint64_t));
  if (!bigints_.empty()) std::memcpy(big.Data(), bigints_.data(), bigints_.size() * sizeof(uint64_t));
  napi_value big_array;
  napi_create_typedarray(env, napi_biguint64_array, bigints_.size(), big, 0, &big_array);
  o.Set("bigints", Napi::Value(env, big_array));
  o.Set("hasBigint", Copy<uint8_t, Napi::Uint8Array>(env, has_bigint_));
  // Many string columns repeat (a link's kind, qdisc, broadcast address): each distinct value
  // becomes one JS string, shared by every row that holds it.
  Napi::Array strings = Napi::Array::New(env, strings_.size());
  std::unordered_map<std::string_view, napi_value> made;
  for (uint32_t i = 0; i < strings_.size(); i++) {
    if (!has_string_[i]) continue;
    auto [it, fresh] = made.try_emplace(strings_[i], nullptr);
    if (fresh) it->second = Napi::String::New(env, strings_[i]);
    strings.Set(i, Napi::Value(env, it->second));
  }
  o.Set("strings", strings);
  o.Set("list", Copy<uint32_t, Napi::Uint32Array>(env, list_));
  o.Set("listEnd", Copy<uint32_t, Napi::Uint32Array>(env, list_end_));
  return o;
}

}  // namespace bpfscope
