// Registers each concept's functions. Nothing else lives here.
#include <bpf/libbpf.h>

#include "addon.h"
#include "btf.h"
#include "cgroups.h"
#include "errors.h"
#include "features.h"
#include "fixtures.h"
#include "handle.h"
#include "holders.h"
#include "links.h"
#include "maps.h"
#include "netlink.h"
#include "netns.h"
#include "pins.h"
#include "programs.h"

namespace bpfscope {

namespace {

// libbpf prints warnings to stderr by default; a library inside someone's process stays quiet.
int SilentLibbpf(enum libbpf_print_level, const char*, va_list) { return 0; }

}  // namespace

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  static const bool quiet = (libbpf_set_print(SilentLibbpf), true);
  static_cast<void>(quiet);
  env.SetInstanceData(new Addon());
  errors::Init(env, exports);
  FdHandle::Init(env, exports);
  programs::Init(env, exports);
  maps::Init(env, exports);
  links::Init(env, exports);
  btf::Init(env, exports);
  pins::Init(env, exports);
  holders::Init(env, exports);
  cgroups::Init(env, exports);
  features::Init(env, exports);
  Napi::Object fixtures_ns = Napi::Object::New(env);
  fixtures::Init(env, fixtures_ns);
  exports.Set("fixtures", fixtures_ns);
  netns::Init(env, exports);
  netlink::Init(env, exports);
  return exports;
}

}  // namespace bpfscope

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return bpfscope::Register(env, exports); }

NODE_API_MODULE(bpfscope, InitAddon)
