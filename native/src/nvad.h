// nvad native addon: one N-API module, one init function per concern.
// Each concern lives in its own file and registers its functions on `exports`.
#pragma once
#include <napi.h>

namespace nvad {
void InitOpenSslCheck(Napi::Env env, Napi::Object exports);  // openssl_check.cc
void InitTun(Napi::Env env, Napi::Object exports);           // tun.cc: TUN devices
void InitUdp(Napi::Env env, Napi::Object exports);           // udp.cc: batched socket I/O
void InitEsp(Napi::Env env, Napi::Object exports);           // esp.cc: ESP fast path
void InitNetlink(Napi::Env env, Napi::Object exports);       // netlink.cc: rtnetlink socket
void InitDatapath(Napi::Env env, Napi::Object exports);      // datapath.cc: threads (via InitEsp)
void InitSockopt(Napi::Env env, Napi::Object exports);       // sockopt.cc: TCP TTL for BGP
}  // namespace nvad
