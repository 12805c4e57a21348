// rtnetlink transport: a netlink socket, nothing more. Messages are encoded and decoded in
// TypeScript (src/kernel/netlink/); this file only opens, sends, receives and watches.
//
//   netlinkOpen(protocol = NETLINK_ROUTE, groups = 0) -> fd
//   netlinkSend(fd, buffer) -> bytes sent (one or many concatenated messages)
//   netlinkRecv(fd, maxBytes, timeoutMs) -> Buffer | null (poll + recv; null on timeout)
//   netlinkAddMembership(fd, group)  (RTNLGRP_* number, NETLINK_ADD_MEMBERSHIP)
//   netlinkPortId(fd) -> nl_pid the kernel assigned
//   netlinkWatch(fd, cb(data: Buffer | null, errno: number))  uv_poll on the loop thread: on
//       readable, drains the socket and calls cb once with all datagrams concatenated
//       (each datagram holds whole, aligned netlink messages, so the concatenation is a valid
//       message stream); errno != 0 (e.g. ENOBUFS) is reported with data = null.
//   netlinkWatchRef(fd, ref)  keep / stop keeping the event loop alive for this watcher
//   netlinkUnwatch(fd), netlinkClose(fd)  (close also stops the watcher)
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <map>
#include <string>
#include <vector>

#include "nvad.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

namespace nvad {
namespace {

constexpr int kSocketBufBytes = 32 * 1024 * 1024;
constexpr size_t kRecvChunk = 256 * 1024;
// Upper bound of bytes handed to JS per readable event, so one busy socket cannot starve the loop.
constexpr size_t kMaxPerEvent = 8 * 1024 * 1024;

struct Watcher {
  uv_poll_t poll;
  napi_env env;
  Napi::FunctionReference cb;
  int fd;
  bool closing;
};

// Per thread: each Node environment (main thread, workers) has its own loop and watchers.
thread_local std::map<int, Watcher*> watchers;

[[noreturn]] void ThrowErrno(Napi::Env env, const char* what, int err) {
  std::string msg = std::string(what) + ": " + strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  throw e;
}

int FdArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "expected a netlink fd");
  }
  return info[i].As<Napi::Number>().Int32Value();
}

void SetBuf(int fd, int opt, int force_opt, int bytes) {
  // SO_*BUFFORCE needs CAP_NET_ADMIN (which the daemon has); fall back to the capped option.
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
  }
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int protocol = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value()
                                                          : NETLINK_ROUTE;
  uint32_t groups = info.Length() > 1 && info[1].IsNumber()
                        ? info[1].As<Napi::Number>().Uint32Value()
                        : 0;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) ThrowErrno(env, "netlink socket", errno);
  SetBuf(fd, SO_SNDBUF, SO_SNDBUFFORCE, kSocketBufBytes);
  SetBuf(fd, SO_RCVBUF, SO_RCVBUFFORCE, kSocketBufBytes);
  int one = 1;
  // Extended ACKs carry the kernel's error text; CAP_ACK keeps ACKs small (no request echo).
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  // Strict checking (Linux >= 4.20): dump requests are validated and their header/attribute
  // filters (table, protocol, ifindex) are applied by the kernel. Older kernels ignore it.
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = groups;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, "netlink bind", err);
  }
  return Napi::Number::New(env, fd);
}

Napi::Value AddMembership(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  if (info.Length() < 2 || !info[1].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "expected a group number");
  }
  int group = info[1].As<Napi::Number>().Int32Value();
  if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
    ThrowErrno(info.Env(), "netlink add membership", errno);
  }
  return info.Env().Undefined();
}

Napi::Value PortId(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  struct sockaddr_nl sa;
  socklen_t len = sizeof sa;
  memset(&sa, 0, sizeof sa);
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&sa), &len) != 0) {
    ThrowErrno(info.Env(), "netlink getsockname", errno);
  }
  return Napi::Number::New(info.Env(), sa.nl_pid);
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  if (info.Length() < 2 || !info[1].IsTypedArray()) {
    throw Napi::TypeError::New(env, "expected a Buffer");
  }
  Napi::Uint8Array buf = info[1].As<Napi::Uint8Array>();
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t n = sendto(fd, buf.Data(), buf.ByteLength(), 0,
                       reinterpret_cast<struct sockaddr*>(&sa), sizeof sa);
    if (n >= 0) return Napi::Number::New(env, static_cast<double>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // Sends to the kernel run synchronously; EAGAIN is rare. Wait for room, briefly.
      struct pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, 1000) > 0) continue;
    }
    ThrowErrno(env, "netlink send", errno);
  }
}

Napi::Value Recv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  size_t max = info.Length() > 1 && info[1].IsNumber()
                   ? static_cast<size_t>(info[1].As<Napi::Number>().Int64Value())
                   : kRecvChunk;
  int timeout = info.Length() > 2 && info[2].IsNumber()
                    ? info[2].As<Napi::Number>().Int32Value()
                    : 0;
  if (max == 0 || max > 64 * 1024 * 1024) throw Napi::RangeError::New(env, "bad maxBytes");
  struct pollfd p = {fd, POLLIN, 0};
  int r;
  do {
    r = poll(&p, 1, timeout);
  } while (r < 0 && errno == EINTR);
  if (r < 0) ThrowErrno(env, "netlink poll", errno);
  if (r == 0) return env.Null();
  std::vector<uint8_t> data(max);
  ssize_t n;
  do {
    n = recv(fd, data.data(), max, MSG_DONTWAIT | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return env.Null();
    ThrowErrno(env, "netlink recv", errno);
  }
  if (static_cast<size_t>(n) > max) {
    ThrowErrno(env, "netlink recv (datagram larger than maxBytes)", EMSGSIZE);
  }
  return Napi::Buffer<uint8_t>::Copy(env, data.data(), static_cast<size_t>(n));
}

void OnClosed(uv_handle_t* handle) {
  Watcher* w = static_cast<Watcher*>(handle->data);
  delete w;
}

void StopWatcher(int fd) {
  auto it = watchers.find(fd);
  if (it == watchers.end()) return;
  Watcher* w = it->second;
  watchers.erase(it);
  w->closing = true;
  w->cb.Reset();
  uv_poll_stop(&w->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
}

void Deliver(Watcher* w, Napi::Value data, int err) {
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  try {
    w->cb.MakeCallback(env.Global(), {data, Napi::Number::New(env, err)});
  } catch (const Napi::Error& e) {
    // A throwing JS callback becomes an uncaught exception, as for any other I/O callback.
    napi_fatal_exception(env, e.Value());
  }
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  Watcher* w = static_cast<Watcher*>(handle->data);
  if (w->closing) return;
  if (status < 0) {
    Napi::Env env(w->env);
    Napi::HandleScope scope(env);
    Deliver(w, env.Null(), -status);
    return;
  }
  if ((events & UV_READABLE) == 0) return;
  std::vector<uint8_t> out;
  thread_local std::vector<uint8_t> chunk(kRecvChunk);
  int err = 0;
  while (out.size() < kMaxPerEvent) {
    ssize_t n = recv(w->fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    if (static_cast<size_t>(n) > chunk.size()) {
      err = EMSGSIZE;
      break;
    }
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  }
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  int fd = w->fd;
  if (!out.empty()) {
    Deliver(w, Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size()), 0);
  }
  // The callback may have stopped the watcher (and freed nothing yet: uv_close is deferred).
  if (err != 0 && watchers.count(fd) != 0 && !w->closing) Deliver(w, env.Null(), err);
}

Napi::Value Watch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  if (info.Length() < 2 || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "expected a callback");
  }
  if (watchers.count(fd) != 0) throw Napi::Error::New(env, "fd already watched");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    throw Napi::Error::New(env, "no uv loop");
  }
  Watcher* w = new Watcher();
  w->env = env;
  w->fd = fd;
  w->closing = false;
  w->cb = Napi::Persistent(info[1].As<Napi::Function>());
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r != 0) {
    delete w;
    throw Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(r));
  }
  w->poll.data = w;
  r = uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  if (r != 0) {
    w->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
    throw Napi::Error::New(env, std::string("uv_poll_start: ") + uv_strerror(r));
  }
  watchers[fd] = w;
  return env.Undefined();
}

Napi::Value WatchRef(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  bool ref = info.Length() > 1 && info[1].ToBoolean().Value();
  auto it = watchers.find(fd);
  if (it != watchers.end()) {
    uv_handle_t* h = reinterpret_cast<uv_handle_t*>(&it->second->poll);
    if (ref) {
      uv_ref(h);
    } else {
      uv_unref(h);
    }
  }
  return info.Env().Undefined();
}

Napi::Value Unwatch(const Napi::CallbackInfo& info) {
  StopWatcher(FdArg(info, 0));
  return info.Env().Undefined();
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  StopWatcher(fd);
  close(fd);
  return info.Env().Undefined();
}

}  // namespace

void InitNetlink(Napi::Env env, Napi::Object exports) {
  // Environment teardown (worker exit): stop this environment's watchers so no callback fires
  // into a dead env; uv_close completes while Node drains the loop's handles.
  napi_env raw = env;
  env.AddCleanupHook([raw]() {
    std::vector<int> fds;
    for (const auto& kv : watchers) {
      if (kv.second->env == raw) fds.push_back(kv.first);
    }
    for (int fd : fds) StopWatcher(fd);
  });
  exports.Set("netlinkOpen", Napi::Function::New(env, Open));
  exports.Set("netlinkSend", Napi::Function::New(env, Send));
  exports.Set("netlinkRecv", Napi::Function::New(env, Recv));
  exports.Set("netlinkAddMembership", Napi::Function::New(env, AddMembership));
  exports.Set("netlinkPortId", Napi::Function::New(env, PortId));
  exports.Set("netlinkWatch", Napi::Function::New(env, Watch));
  exports.Set("netlinkWatchRef", Napi::Function::New(env, WatchRef));
  exports.Set("netlinkUnwatch", Napi::Function::New(env, Unwatch));
  exports.Set("netlinkClose", Napi::Function::New(env, Close));
}

}  // namespace nvad
