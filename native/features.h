// What this machine offers: libbpf's version (built against and running), the kernel release,
// and probes for features that bpfscope uses where the kernel may be too old.
#pragma once

#include "common.h"

namespace bpfscope::features {

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::features
