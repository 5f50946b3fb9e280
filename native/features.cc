#include "features.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "errors.h"
#include "task.h"
#include "uapi_compat.h"

namespace bpfscope::features {

namespace {

// versions() → { libbpfBuild, libbpfRuntime, kernelRelease, kernelVersion, machine }
Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct utsname u {};
  if (uname(&u) != 0) {
    Failure failure;
    failure.Set(errno, "uname", "the kernel");
    return errors::Throw(env, failure);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("libbpfBuild", std::to_string(LIBBPF_MAJOR_VERSION) + "." + std::to_string(LIBBPF_MINOR_VERSION));
  o.Set("libbpfRuntime", std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version()));
  o.Set("kernelRelease", u.release);
  o.Set("kernelVersion", u.version);
  o.Set("machine", u.machine);
  return o;
}

// A libbpf probe's answer as an errno: 1 (supported) → 0; 0 → the errno its refused call left
// (EINVAL when there is none); a negative error → that error (EOPNOTSUPP: libbpf does not know the type).
int LibbpfVerdict(int r) {
  if (r == 1) return 0;
  if (r == 0) return errno != 0 ? errno : EINVAL;
  return -r;
}

// libbpf 1.1 does not know netfilter programs (Linux 6.4), and answers EOPNOTSUPP for the type:
// load the smallest one itself, as libbpf 1.2's probe does (`r0 = NF_ACCEPT; exit`, with the
// attach type the kernel requires of the type). 0: loaded; EINVAL: a kernel without the type.
int ProbeNetfilterProgram() {
  struct bpf_insn insns[2] = {};
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
  insns[0].imm = 1;
  insns[1].code = BPF_JMP | BPF_EXIT;
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = static_cast<enum bpf_attach_type>(uapi::kAttachNetfilter));
  int fd = bpf_prog_load(static_cast<enum bpf_prog_type>(uapi::kProgTypeNetfilter), nullptr, "GPL", insns, 2, &opts);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

// probe(kind, value) → errno of the probing call (0: supported).
//   'attach-query': BPF_PROG_QUERY of attach type `value` on the loopback device (ifindex 1):
//                   tcx answers 0 from Linux 6.6 and EINVAL before.
//   'map-type' / 'prog-type': libbpf's own probes (create a tiny map / load a tiny program). They
//                   answer 0 both when the kernel lacks the type (EINVAL) and when it refused to
//                   create or load it (EPERM without CAP_BPF/CAP_NET_ADMIN): the errno that the
//                   refused call left tells which.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  std::string kind;
  uint32_t value;
  if (!ArgString(info, 0, &kind) || !ArgU32(info, 1, &value)) return ThrowType(info.Env(), "probe(kind, value)");
  auto result = std::make_shared<int>(0);
  return RunAsync(
      info.Env(),
      [kind, value, result](Failure& failure) {
        if (kind == "attach-query") {
          uapi::ProgQueryAttr attr {};
          attr.target = 1;
          attr.attach_type = value;
          *result = uapi::Syscall(uapi::kProgQuery, &attr, sizeof(attr)) == 0 ? 0 : errno;
        } else if (kind == "map-type") {
          errno = 0;
          *result = LibbpfVerdict(libbpf_probe_bpf_map_type(static_cast<enum bpf_map_type>(value), nullptr));
        } else if (kind == "prog-type") {
          errno = 0;
          *result = LibbpfVerdict(libbpf_probe_bpf_prog_type(static_cast<enum bpf_prog_type>(value), nullptr));
          if (*result == EOPNOTSUPP && value == uapi::kProgTypeNetfilter) *result = ProbeNetfilterProgram();
        } else {
          return failure.Set(EINVAL, "probe", kind);
        }
        return true;
      },
      [result](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *result); });
}

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("versions", Napi::Function::New(env, Versions, "versions"));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
}

}  // namespace bpfscope::features
