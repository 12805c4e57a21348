// N-API surface of the data path (datapath.h): create, attach sockets and tunnels, install the
// outbound SA, send IKE, close; plus single-packet test hooks for the inner-packet helpers.
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "datapath.h"
#include "datapath_addr.h"
#include "datapath_gso.h"
#include "datapath_inner.h"
#include "esp_napi.h"
#include "nvad.h"

namespace nvad {

namespace {

struct DpHolder {
  std::unique_ptr<Datapath> dp;
};

Datapath* DpOf(Napi::Value v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "not a datapath handle");
  DpHolder* h = v.As<Napi::External<DpHolder>>().Data();
  if (h == nullptr || !h->dp) throw Napi::TypeError::New(v.Env(), "datapath is closed");
  return h->dp.get();
}

// dpCreate(sad, onIke(data, address, port, socketIndex)) -> handle
Napi::Value DpCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<EspSad> sad = SadFromValue(info[0]);
  if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "dpCreate(sad, onIke)");
  Napi::ThreadSafeFunction tsfn =
      Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "nvad-ike", 1024, 1);
  tsfn.Unref(env);
  auto* h = new DpHolder{std::make_unique<Datapath>(sad, tsfn)};
  return Napi::External<DpHolder>::New(env, h, [](Napi::Env, DpHolder* p) { delete p; });
}

// dpAddSocket(dp, fd, 'natt' | 'ike' | 'esp') -> socket index
Napi::Value DpAddSocket(const Napi::CallbackInfo& info) {
  Datapath* dp = DpOf(info[0]);
  const std::string mode = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "natt";
  if (mode != "natt" && mode != "ike" && mode != "esp") {
    throw Napi::TypeError::New(info.Env(), "socket mode must be natt, ike or esp");
  }
  const int idx = dp->AddSocket(info[1].As<Napi::Number>().Int32Value(), mode == "natt", mode == "esp");
  if (idx < 0) throw Napi::Error::New(info.Env(), "too many sockets");
  return Napi::Number::New(info.Env(), idx);
}

// dpAddTunnel(dp, fd, { vnetHdr, mtu, mss4, mss6, source4?: Buffer, source6?: Buffer }) -> index
Napi::Value DpAddTunnel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath* dp = DpOf(info[0]);
  const int fd = info[1].As<Napi::Number>().Int32Value();
  Napi::Object o = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  TunnelConfig cfg;
  cfg.vnetHdr = o.Get("vnetHdr").ToBoolean().Value();
  auto num = [&](const char* k) -> uint32_t {
    Napi::Value v = o.Get(k);
    return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : 0;
  };
  cfg.mtu = num("mtu");
  cfg.mss4 = static_cast<uint16_t>(num("mss4"));
  cfg.mss6 = static_cast<uint16_t>(num("mss6"));
  Napi::Value s4 = o.Get("source4");
  if (s4.IsBuffer() && s4.As<Napi::Buffer<uint8_t>>().Length() == 4) {
    std::memcpy(cfg.source4, s4.As<Napi::Buffer<uint8_t>>().Data(), 4);
    cfg.hasSource4 = true;
  }
  Napi::Value s6 = o.Get("source6");
  if (s6.IsBuffer() && s6.As<Napi::Buffer<uint8_t>>().Length() == 16) {
    std::memcpy(cfg.source6, s6.As<Napi::Buffer<uint8_t>>().Data(), 16);
    cfg.hasSource6 = true;
  }
  const int idx = dp->AddTunnel(fd, cfg);
  if (idx < 0) throw Napi::Error::New(env, "too many tunnels");
  return Napi::Number::New(env, idx);
}

Napi::Value DpRemoveTunnel(const Napi::CallbackInfo& info) {
  Datapath* dp = DpOf(info[0]);
  return Napi::Boolean::New(info.Env(), dp->RemoveTunnel(info[1].As<Napi::Number>().Int32Value()));
}

// dpSetOutbound(dp, tunnel, sa|null, socketIndex, address, port)
Napi::Value DpSetOutbound(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath* dp = DpOf(info[0]);
  const int tunnel = info[1].As<Napi::Number>().Int32Value();
  std::shared_ptr<OutState> st;
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    st = std::make_shared<OutState>();
    st->sa = SaFromValue(info[2]);
    if (st->sa->inbound()) throw Napi::TypeError::New(env, "outbound SA expected");
    const int sock = info[3].As<Napi::Number>().Int32Value();
    st->sockFd = dp->SocketFd(sock);
    if (st->sockFd < 0) throw Napi::RangeError::New(env, "unknown socket index");
    st->udpGso = !dp->IsRawEsp(sock);
    const std::string addr = info[4].As<Napi::String>().Utf8Value();
    // Raw IPv6 sockets reject a port other than 0 / the protocol.
    const uint16_t port =
        st->udpGso ? static_cast<uint16_t>(info[5].As<Napi::Number>().Uint32Value()) : 0;
    if (!ParseSockaddr(addr, port, &st->peer, &st->peerLen)) {
      throw Napi::TypeError::New(env, "bad peer address " + addr);
    }
  }
  if (!dp->SetOutbound(tunnel, st)) throw Napi::RangeError::New(env, "unknown tunnel index");
  return env.Undefined();
}

// dpSendIke(dp, socketIndex, data, address, port): the non-ESP marker is added on NAT-T sockets.
Napi::Value DpSendIke(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath* dp = DpOf(info[0]);
  const int sock = info[1].As<Napi::Number>().Int32Value();
  const int fd = dp->SocketFd(sock);
  if (fd < 0) throw Napi::RangeError::New(env, "unknown socket index");
  Napi::Buffer<uint8_t> data = info[2].As<Napi::Buffer<uint8_t>>();
  sockaddr_storage to{};
  socklen_t toLen = 0;
  const std::string addr = info[3].As<Napi::String>().Utf8Value();
  if (!ParseSockaddr(addr, static_cast<uint16_t>(info[4].As<Napi::Number>().Uint32Value()), &to, &toLen)) {
    throw Napi::TypeError::New(env, "bad address " + addr);
  }
  uint8_t marker[4] = {0, 0, 0, 0};
  iovec iov[2] = {{marker, 4}, {data.Data(), data.Length()}};
  msghdr m{};
  m.msg_name = &to;
  m.msg_namelen = toLen;
  m.msg_iov = dp->IsNatt(sock) ? iov : iov + 1;
  m.msg_iovlen = dp->IsNatt(sock) ? 2 : 1;
  const ssize_t r = sendmsg(fd, &m, 0);
  if (r < 0) throw Napi::Error::New(env, std::string("send IKE: ") + std::strerror(errno));
  return env.Undefined();
}

// dpSendKeepalive(dp, socketIndex, address, port): RFC 3948 §2.3 NAT-keepalive, exactly one 0xFF
// byte (no non-ESP marker), so the NAT in front of us keeps the port-4500 mapping open.
Napi::Value DpSendKeepalive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath* dp = DpOf(info[0]);
  const int sock = info[1].As<Napi::Number>().Int32Value();
  const int fd = dp->SocketFd(sock);
  if (fd < 0 || !dp->IsNatt(sock)) throw Napi::RangeError::New(env, "not a NAT-T socket index");
  sockaddr_storage to{};
  socklen_t toLen = 0;
  const std::string addr = info[2].As<Napi::String>().Utf8Value();
  if (!ParseSockaddr(addr, static_cast<uint16_t>(info[3].As<Napi::Number>().Uint32Value()), &to, &toLen)) {
    throw Napi::TypeError::New(env, "bad address " + addr);
  }
  const uint8_t keepalive = 0xFF;
  const ssize_t r = sendto(fd, &keepalive, 1, 0, reinterpret_cast<const sockaddr*>(&to), toLen);
  if (r < 0) throw Napi::Error::New(env, std::string("send keepalive: ") + std::strerror(errno));
  return env.Undefined();
}

// dpCounters(dp) -> ArrayBuffer of the global counters (the SAD's block)
Napi::Value DpCounters(const Napi::CallbackInfo& info) {
  Datapath* dp = DpOf(info[0]);
  return OwnedArrayBuffer(info.Env(), dp->counters(), kGlobalCounterSlots * 8, dp->sad());
}

Napi::Value DpClose(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) return info.Env().Undefined();
  DpHolder* h = info[0].As<Napi::External<DpHolder>>().Data();
  if (h != nullptr && h->dp) {
    h->dp->Close();
    h->dp.reset();
  }
  return info.Env().Undefined();
}

// Test hooks: the inner-packet helpers on single packets, for parity with the TS references.
Napi::Value InnerClampMss(const Napi::CallbackInfo& info) {
  Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
  const uint16_t mss = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
  return Napi::Boolean::New(info.Env(), ClampMss(b.Data(), b.Length(), mss));
}

Napi::Value InnerTooBig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
  const uint32_t mtu = info[1].As<Napi::Number>().Uint32Value();
  Napi::Buffer<uint8_t> src = info[2].As<Napi::Buffer<uint8_t>>();
  std::vector<uint8_t> out(1500);
  const size_t n = BuildTooBig(b.Data(), b.Length(), mtu, src.Length() == 4 ? src.Data() : nullptr,
                               src.Length() == 16 ? src.Data() : nullptr, out.data(), out.size());
  if (n == 0) return env.Null();
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), n);
}

Napi::Value InnerGsoSplit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
  constexpr size_t kTestSlot = 2048 + 256;
  std::vector<uint8_t> slots(static_cast<size_t>(kMaxSlots) * kTestSlot);
  size_t lens[kMaxSlots];
  const int n = GsoSplit(b.Data(), b.Length(), slots.data(), kTestSlot, kHeadroom, 0, kMaxSlots, lens);
  Napi::Array arr = Napi::Array::New(env, static_cast<size_t>(n));
  for (int i = 0; i < n; i++) {
    arr.Set(static_cast<uint32_t>(i),
            Napi::Buffer<uint8_t>::Copy(env, slots.data() + static_cast<size_t>(i) * kTestSlot + kHeadroom,
                                        lens[i]));
  }
  return arr;
}

}  // namespace

void InitDatapath(Napi::Env env, Napi::Object exports) {
  exports.Set("dpCreate", Napi::Function::New(env, DpCreate));
  exports.Set("dpAddSocket", Napi::Function::New(env, DpAddSocket));
  exports.Set("dpAddTunnel", Napi::Function::New(env, DpAddTunnel));
  exports.Set("dpRemoveTunnel", Napi::Function::New(env, DpRemoveTunnel));
  exports.Set("dpSetOutbound", Napi::Function::New(env, DpSetOutbound));
  exports.Set("dpSendIke", Napi::Function::New(env, DpSendIke));
  exports.Set("dpSendKeepalive", Napi::Function::New(env, DpSendKeepalive));
  exports.Set("dpCounters", Napi::Function::New(env, DpCounters));
  exports.Set("dpClose", Napi::Function::New(env, DpClose));
  exports.Set("innerClampMss", Napi::Function::New(env, InnerClampMss));
  exports.Set("innerTooBig", Napi::Function::New(env, InnerTooBig));
  exports.Set("innerGsoSplit", Napi::Function::New(env, InnerGsoSplit));
}

}  // namespace nvad
