#include "ids.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <string>

namespace bpfscope {

const IdSpace kPrograms = {bpf_prog_get_next_id, bpf_prog_get_fd_by_id, "BPF_PROG_GET_NEXT_ID",
                           "BPF_PROG_GET_FD_BY_ID", "program", "prog_id"};
const IdSpace kMaps = {bpf_map_get_next_id, bpf_map_get_fd_by_id, "BPF_MAP_GET_NEXT_ID", "BPF_MAP_GET_FD_BY_ID",
                       "map", "map_id"};
const IdSpace kLinks = {bpf_link_get_next_id, bpf_link_get_fd_by_id, "BPF_LINK_GET_NEXT_ID",
                        "BPF_LINK_GET_FD_BY_ID", "link", "link_id"};
const IdSpace kBtfs = {bpf_btf_get_next_id, bpf_btf_get_fd_by_id, "BPF_BTF_GET_NEXT_ID", "BPF_BTF_GET_FD_BY_ID",
                       "BTF", "btf_id"};
const IdSpace* const kObjectSpaces[4] = {&kPrograms, &kMaps, &kLinks, &kBtfs};

bool KindOfFdTarget(std::string_view target, ObjectKind* kind) {
  // A link's file is "bpf_link" when BPF_LINK_CREATE made it and "bpf-link" when BPF_OBJ_GET
  // opened a pin of it (kernel/bpf/syscall.c names the anon inode twice).
  if (target == "anon_inode:bpf-prog") *kind = ObjectKind::kProgram;
  else if (target == "anon_inode:bpf-map") *kind = ObjectKind::kMap;
  else if (target == "anon_inode:bpf_link" || target == "anon_inode:bpf-link") *kind = ObjectKind::kLink;
  else if (target == "anon_inode:btf") *kind = ObjectKind::kBtf;
  else return false;
  return true;
}

Fd OpenById(const IdSpace& space, uint32_t id, Failure& failure) {
  int fd = space.fd_by_id(id);
  if (fd < 0) failure.Set(errno, space.fd_op, std::string(space.kind) + " " + std::to_string(id));
  return Fd(fd);
}

bool WalkIds(const IdSpace& space, Failure& failure,
             const std::function<bool(uint32_t id, int fd, Failure& failure)>& visit) {
  uint32_t id = 0;
  for (;;) {
    if (space.next_id(id, &id) != 0) {
      if (errno == ENOENT) return true;  // past the last id
      return failure.Set(errno, space.next_op, std::string(space.kind) + "s after id " + std::to_string(id));
    }
    Fd fd(space.fd_by_id(id));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;  // freed since get_next_id
      // A link gets its id before its attachment is made (bpf_link_prime) and is opened by id only
      // once it is (bpf_link_settle): until then bpf_link_by_id says EAGAIN, "pretend it doesn't
      // exist yet". A walk while any process on the host creates a link met one and failed; it
      // lists the link once it exists, or never when its attachment fails.
      if (errno == EAGAIN && &space == &kLinks) continue;
      return failure.Set(errno, space.fd_op, std::string(space.kind) + " " + std::to_string(id));
    }
    if (!visit(id, fd.get(), failure)) return false;
  }
}

}  // namespace bpfscope
