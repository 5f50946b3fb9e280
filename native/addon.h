// Per-environment state (one per main thread or worker_thread that loads the addon).
#pragma once

#include <napi.h>

#include "dump_memory.h"
#include "netns.h"

namespace bpfscope {

struct Addon {
  Addon() { dump_memory::Attach(); }
  ~Addon() { dump_memory::Detach(); }
  Addon(const Addon&) = delete;
  Addon& operator=(const Addon&) = delete;

  Napi::FunctionReference bpf_error;  // src/errors.ts BpfError, registered once by src/native.ts
  Napi::FunctionReference fd_handle;  // native FdHandle constructor
  netns::Slots netns_slots;           // threads inside other namespaces, and calls queued for one
};

}  // namespace bpfscope
