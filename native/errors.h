// From a Failure to the JS BpfError. The class itself lives in src/errors.ts and is handed to
// the addon once (setErrorClass), as better-sqlite3 does with SqliteError.
#pragma once

#include "common.h"

namespace bpfscope::errors {

// The errno's symbolic name ("ENOENT"; "ENOTSUPP" for the kernel-internal 524), or nullptr for a
// number Linux does not define (Make then names it "E<n>").
const char* Name(int err);

// A BpfError instance for the failure (or a plain Error if the class was never registered).
Napi::Value Make(Napi::Env env, const Failure& failure);

// Throws that BpfError and returns undefined, for a call that runs on the calling thread.
Napi::Value Throw(Napi::Env env, const Failure& failure);

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::errors
