// Objects pinned in bpffs: what a path holds, and a walk of a bpffs tree.
#pragma once

#include "common.h"

namespace bpfscope::pins {

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::pins
