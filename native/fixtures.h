// Creating kernel objects: maps, BTF, programs from raw instructions, tcx links, pins, bpffs
// mounts. Used by the tests and by `bpfscope/testing` (the fake Cilium node behind `npm run demo`).
// Inspection never needs these.
#pragma once

#include "common.h"

namespace bpfscope::fixtures {

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::fixtures
