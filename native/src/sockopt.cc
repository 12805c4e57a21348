// Socket options node:net cannot set on TCP sockets, for BGP (RFC 4271 over TCP):
//   tcpSocket(local, ttl)   -> fd   an unconnected non-blocking TCP socket of the local address's
//                                   family, bound to it (port 0 = kernel's choice unless the
//                                   address is a wildcard), with the TTL set before any SYN leaves;
//                                   node then wraps it with `new net.Socket({ fd })` and connects.
//   setTtl(fd, ttl)         -> void IP_TTL (IPv4) / IPV6_UNICAST_HOPS (IPv6; also IP_TTL for
//                                   IPv4-mapped peers of a dual-stack socket) on any socket.
//   getTtl(fd)              -> number the unicast TTL/hop limit the socket sends with.
//   setMinTtl(fd, ttl)      -> void IP_MINTTL / IPV6_MINHOPCOUNT (RFC 5082 GTSM receive check).
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "datapath_addr.h"
#include "nvad.h"

#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

namespace nvad {

namespace {

int SocketFamily(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  return ss.ss_family;
}

int TtlArg(const Napi::CallbackInfo& info, size_t i) {
  const int ttl = info[i].As<Napi::Number>().Int32Value();
  if (ttl < 1 || ttl > 255) throw Napi::RangeError::New(info.Env(), "TTL must be 1..255");
  return ttl;
}

// 0 or errno. On an AF_INET6 socket both options are set: IPV6_UNICAST_HOPS governs IPv6 peers,
// IP_TTL the IPv4-mapped ones (Linux keeps both per socket).
int ApplyTtl(int fd, int ttl) {
  const int family = SocketFamily(fd);
  if (family == AF_INET) {
    return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0 ? 0 : errno;
  }
  if (family == AF_INET6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) != 0) return errno;
    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    return 0;
  }
  return family < 0 ? errno : EAFNOSUPPORT;
}

Napi::Value TcpSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string addr = info[0].As<Napi::String>().Utf8Value();
  const int ttl = TtlArg(info, 1);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!ParseSockaddr(addr, 0, &ss, &len)) throw Napi::TypeError::New(env, "bad address " + addr);
  const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) throw Napi::Error::New(env, std::string("socket: ") + std::strerror(errno));
  int err = ApplyTtl(fd, ttl);
  if (err == 0 && bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) err = errno;
  if (err != 0) {
    close(fd);
    throw Napi::Error::New(env, "TCP socket on " + addr + ": " + std::strerror(err));
  }
  return Napi::Number::New(env, fd);
}

Napi::Value SetTtl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int err = ApplyTtl(fd, TtlArg(info, 1));
  if (err != 0) throw Napi::Error::New(env, std::string("set TTL: ") + std::strerror(err));
  return env.Undefined();
}

Napi::Value GetTtl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int family = SocketFamily(fd);
  int v = 0;
  socklen_t len = sizeof v;
  int rc = -1;
  if (family == AF_INET) rc = getsockopt(fd, IPPROTO_IP, IP_TTL, &v, &len);
  if (family == AF_INET6) rc = getsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &len);
  if (rc != 0) throw Napi::Error::New(env, std::string("get TTL: ") + std::strerror(errno));
  return Napi::Number::New(env, v);
}

Napi::Value SetMinTtl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int ttl = TtlArg(info, 1);
  const int family = SocketFamily(fd);
  int rc = -1;
  if (family == AF_INET) rc = setsockopt(fd, IPPROTO_IP, IP_MINTTL, &ttl, sizeof ttl);
  if (family == AF_INET6) {
    rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &ttl, sizeof ttl);
    setsockopt(fd, IPPROTO_IP, IP_MINTTL, &ttl, sizeof ttl);
  }
  if (rc != 0) throw Napi::Error::New(env, std::string("set min TTL: ") + std::strerror(errno));
  return env.Undefined();
}

}  // namespace

void InitSockopt(Napi::Env env, Napi::Object exports) {
  exports.Set("tcpSocket", Napi::Function::New(env, TcpSocket));
  exports.Set("setTtl", Napi::Function::New(env, SetTtl));
  exports.Set("getTtl", Napi::Function::New(env, GetTtl));
  exports.Set("setMinTtl", Napi::Function::New(env, SetMinTtl));
}

}  // namespace nvad
