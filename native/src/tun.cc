// TUN devices (Linux /dev/net/tun): open with IFF_TUN|IFF_NO_PI (optionally IFF_VNET_HDR with
// TSO/USO offloads, IFF_MULTI_QUEUE), and SIOCSIFMTU / SIOCSIFFLAGS for MTU and up/down until the
// kernel module does this over rtnetlink. Per-packet read/write helpers exist for tests only; the
// data path reads and writes TUN fds in its own threads (datapath.cc).
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "nvad.h"

namespace nvad {

namespace {

Napi::Error SysError(Napi::Env env, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

std::string IfName(Napi::Env env, Napi::Value v) {
  if (!v.IsString()) throw Napi::TypeError::New(env, "interface name must be a string");
  std::string name = v.As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::RangeError::New(env, "bad interface name");
  return name;
}

bool OptBool(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

// tunOpen(name, { vnetHdr?, multiQueue?, nonBlocking? }) -> { fd, name, vnetHdr, offload }
Napi::Value TunOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = IfName(env, info[0]);
  Napi::Object opts = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  const bool vnetHdr = OptBool(opts, "vnetHdr");
  const bool multiQueue = OptBool(opts, "multiQueue");
  const bool nonBlocking = OptBool(opts, "nonBlocking");
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0));
  if (fd < 0) throw SysError(env, "open /dev/net/tun", errno);
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (vnetHdr) ifr.ifr_flags |= IFF_VNET_HDR;
  if (multiQueue) ifr.ifr_flags |= IFF_MULTI_QUEUE;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    const int err = errno;
    close(fd);
    throw SysError(env, "TUNSETIFF " + name, err);
  }
  std::string offload = "none";
  if (vnetHdr) {
    int hdrSize = 10;  // struct virtio_net_hdr
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdrSize) < 0) {
      const int err = errno;
      close(fd);
      throw SysError(env, "TUNSETVNETHDRSZ", err);
    }
    unsigned int flags = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
#ifdef TUN_F_USO4
    if (ioctl(fd, TUNSETOFFLOAD, flags | TUN_F_USO4 | TUN_F_USO6) == 0) {
      offload = "csum,tso,uso";
    } else
#endif
    if (ioctl(fd, TUNSETOFFLOAD, flags) == 0) {
      offload = "csum,tso";
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("name", Napi::String::New(env, ifr.ifr_name));
  out.Set("vnetHdr", Napi::Boolean::New(env, vnetHdr));
  out.Set("offload", Napi::String::New(env, offload));
  return out;
}

int ControlSocket(Napi::Env env) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw SysError(env, "socket", errno);
  return s;
}

// tunSetMtu(name, mtu)
Napi::Value TunSetMtu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = IfName(env, info[0]);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_mtu = info[1].As<Napi::Number>().Int32Value();
  int s = ControlSocket(env);
  const int rc = ioctl(s, SIOCSIFMTU, &ifr);
  const int err = errno;
  close(s);
  if (rc < 0) throw SysError(env, "SIOCSIFMTU " + name, err);
  return env.Undefined();
}

// tunSetUp(name, up)
Napi::Value TunSetUp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = IfName(env, info[0]);
  const bool up = info[1].ToBoolean().Value();
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  int s = ControlSocket(env);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    if (up) {
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    } else {
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
    }
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  const int err = errno;
  close(s);
  if (rc < 0) throw SysError(env, "SIOCSIFFLAGS " + name, err);
  return env.Undefined();
}

Napi::Value FdClose(const Napi::CallbackInfo& info) {
  const int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd >= 0) close(fd);
  return info.Env().Undefined();
}

// tunRead(fd, buffer) -> bytes, or -1 when nothing is queued (non-blocking fd). Tests only.
Napi::Value TunRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> b = info[1].As<Napi::Buffer<uint8_t>>();
  const ssize_t n = read(fd, b.Data(), b.Length());
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
    throw SysError(env, "read tun", errno);
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// tunWrite(fd, packet) -> bytes written. Tests only.
Napi::Value TunWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> b = info[1].As<Napi::Buffer<uint8_t>>();
  const ssize_t n = write(fd, b.Data(), b.Length());
  if (n < 0) throw SysError(env, "write tun", errno);
  return Napi::Number::New(env, static_cast<double>(n));
}

// fdSocketPair() -> [a, b]: a datagram socketpair that behaves like a TUN fd (one read = one
// packet), so tests can drive the data path without root. `b` is non-blocking.
Napi::Value FdSocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) throw SysError(env, "socketpair", errno);
  fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, fds[0]));
  out.Set(1u, Napi::Number::New(env, fds[1]));
  return out;
}

}  // namespace

void InitTun(Napi::Env env, Napi::Object exports) {
  exports.Set("tunOpen", Napi::Function::New(env, TunOpen));
  exports.Set("tunSetMtu", Napi::Function::New(env, TunSetMtu));
  exports.Set("tunSetUp", Napi::Function::New(env, TunSetUp));
  exports.Set("tunRead", Napi::Function::New(env, TunRead));
  exports.Set("tunWrite", Napi::Function::New(env, TunWrite));
  exports.Set("fdClose", Napi::Function::New(env, FdClose));
  exports.Set("fdSocketPair", Napi::Function::New(env, FdSocketPair));
}

}  // namespace nvad
