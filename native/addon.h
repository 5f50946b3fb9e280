// Per-environment state (one per main thread or worker_thread that loads the addon).
#pragma once

#include <napi.h>

#include "netns.h"

namespace bpfscope {

struct Addon {
  Napi::FunctionReference bpf_error;  // src/errors.ts BpfError, registered once by src/native.ts
  Napi::FunctionReference fd_handle;  // native FdHandle constructor
  netns::Slots netns_slots;           // threads inside other namespaces, and calls queued for one
};

}  // namespace bpfscope
