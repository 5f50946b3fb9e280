// rtnetlink (links, addresses, routes, neighbours, nsids, tc filters), tcx/netkit/flow-dissector
// queries and ethtool statistics, each for the namespace of the calling thread (netns.h puts the
// thread there). The parsers of the replies' bytes are in netlink_parse.h, so they can be fuzzed alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "netlink_parse.h"

namespace bpfscope::netlink {

// The ifindex of a device name in the calling thread's namespace (Failure ENODEV if none).
bool IfIndex(const std::string& name, int32_t* out, Failure& failure);

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::netlink
