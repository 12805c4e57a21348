// UDP sockets for IKE and UDP-encapsulated ESP (RFC 3948): bound non-blocking sockets with large
// buffers (SO_{RCV,SND}BUFFORCE, falling back to the unprivileged options). The datapath's RX
// threads own their receive side; IKE datagrams go out through the datapath (dpSendIke).
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "datapath_addr.h"
#include "nvad.h"

namespace nvad {

namespace {

constexpr int kSocketBufferBytes = 7 * 1024 * 1024;

void SetBuffer(int fd, int force, int plain) {
  int v = kSocketBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof v) != 0) {
    setsockopt(fd, SOL_SOCKET, plain, &v, sizeof v);
  }
}

// udpOpen(address, port) -> { fd, port } (port: the bound one, useful with port 0)
Napi::Value UdpOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string addr = info[0].As<Napi::String>().Utf8Value();
  const uint16_t port = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!ParseSockaddr(addr, port, &ss, &len)) throw Napi::TypeError::New(env, "bad address " + addr);
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) throw Napi::Error::New(env, std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int err = errno;
    close(fd);
    throw Napi::Error::New(env, "bind " + addr + ":" + std::to_string(port) + ": " + std::strerror(err));
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  uint16_t boundPort = 0;
  FormatSockaddr(bound, &boundPort);
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("port", Napi::Number::New(env, boundPort));
  return out;
}

// rawEspOpen(address) -> { fd }: an IPPROTO_ESP (50) raw socket bound to `address`, for ESP
// without UDP encapsulation. Only usable where the kernel has no ESP of its own (no xfrm here).
Napi::Value RawEspOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string addr = info[0].As<Napi::String>().Utf8Value();
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!ParseSockaddr(addr, 0, &ss, &len)) throw Napi::TypeError::New(env, "bad address " + addr);
  int fd = socket(ss.ss_family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
  if (fd < 0) throw Napi::Error::New(env, std::string("raw ESP socket: ") + std::strerror(errno));
  SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int err = errno;
    close(fd);
    throw Napi::Error::New(env, "bind raw ESP " + addr + ": " + std::strerror(err));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  return out;
}

}  // namespace

void InitUdp(Napi::Env env, Napi::Object exports) {
  exports.Set("udpOpen", Napi::Function::New(env, UdpOpen));
  exports.Set("rawEspOpen", Napi::Function::New(env, RawEspOpen));
}

}  // namespace nvad
