{
  "variables": {
    "parser_sources": [
      "native/btf_types.cc",
      "native/map_diff.cc",
      "native/netlink_parse.cc"
    ]
  },
  "targets": [
    {
      "target_name": "bpfscope",
      "sources": [
        "<@(parser_sources)",
        "native/addon.cc",
        "native/btf.cc",
        "native/cgroups.cc",
        "native/common.cc",
        "native/dump_memory.cc",
        "native/errors.cc",
        "native/features.cc",
        "native/fixtures.cc",
        "native/glibc_compat.cc",
        "native/handle.cc",
        "native/holders.cc",
        "native/ids.cc",
        "native/links.cc",
        "native/maps.cc",
        "native/netlink.cc",
        "native/netns.cc",
        "native/pins.cc",
        "native/programs.cc",
        "native/table.cc",
        "native/task.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "ldflags": ["-Wl,--exclude-libs,ALL", "-Wl,--version-script=<(module_root_dir)/native/exports.map"],
      "variables": {
        "bpfscope_static_deps%": ""
      },
      "conditions": [
        ["bpfscope_static_deps==''", {
          "cflags_cc": ["<!@(pkg-config --cflags libbpf libmnl)"],
          "libraries": ["<!@(pkg-config --libs libbpf libmnl)"]
        }, {
          "include_dirs": ["<(bpfscope_static_deps)/include"],
          "defines": ["BPFSCOPE_GLIBC_COMPAT"],
          "ldflags": ["-static-libstdc++", "-Wl,--gc-sections", "-Wl,--wrap=stat64,--wrap=fstat64,--wrap=fstatat64,--wrap=pthread_create,--wrap=pthread_join"],
          "libraries": ["<(bpfscope_static_deps)/lib/libbpf.a", "<!@(pkg-config --libs libmnl libelf zlib)"]
        }]
      ]
    }
  ]
}
