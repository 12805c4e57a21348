{
  "targets": [
    {
      "target_name": "nvad",
      "sources": [
        "src/addon.cc",
        "src/openssl_check.cc",
        "src/tun.cc",
        "src/udp.cc",
        "src/esp.cc",
        "src/esp_sa.cc",
        "src/datapath.cc",
        "src/datapath_napi.cc",
        "src/datapath_gso.cc",
        "src/datapath_inner.cc",
        "src/netlink.cc",
        "src/sockopt.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "OPENSSL_API_COMPAT=0x30000000L"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O3"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Werror", "-Wno-missing-field-initializers", "-O3"],
      "libraries": ["-lpthread"]
    }
  ]
}
