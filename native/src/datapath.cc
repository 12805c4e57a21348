// Data-plane threads (see datapath.h for the pipeline) and their N-API surface.
#include "datapath.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "datapath_addr.h"
#include "datapath_gso.h"
#include "datapath_inner.h"
#include "esp_napi.h"
#include "nvad.h"

namespace nvad {

namespace {

constexpr size_t kSlot = 16384 + 256;  // inner MTU up to 16 KB plus ESP overhead
constexpr size_t kVnetHdr = 10;
constexpr size_t kGsoRead = 65536 + 256;

inline uint32_t Be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

bool WaitReadable(int fd, int stopFd, int stopFd2) {
  pollfd fds[3] = {{fd, POLLIN, 0}, {stopFd, POLLIN, 0}, {stopFd2, POLLIN, 0}};
  const nfds_t n = stopFd2 >= 0 ? 3 : 2;
  for (;;) {
    const int r = poll(fds, n, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if ((fds[1].revents | (n == 3 ? fds[2].revents : 0)) != 0) return false;
    if (fds[0].revents & (POLLERR | POLLNVAL)) return false;
    return true;
  }
}

}  // namespace

struct IkeDatagram {
  std::vector<uint8_t> data;
  std::string address;
  uint16_t port = 0;
  int socket = -1;
};

Datapath::Datapath(std::shared_ptr<EspSad> sad, Napi::ThreadSafeFunction onIke)
    : sad_(std::move(sad)), onIke_(std::move(onIke)) {
  stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Datapath::~Datapath() {
  Close();
  for (int i = 0; i < kMaxTunnels; i++) delete tunnels_[i].load();
  for (int i = 0; i < kMaxSockets; i++) delete sockets_[i];
  if (stopFd_ >= 0) close(stopFd_);
}

int Datapath::AddSocket(int fd, bool natt, bool rawEsp) {
  std::lock_guard<std::mutex> lock(addMu_);
  const int idx = socketCount_.load();
  if (idx >= kMaxSockets || closed_) return -1;
  Sock* s = new Sock();
  s->fd = fd;
  s->natt = natt && !rawEsp;
  s->rawEsp = rawEsp;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  // UDP_GRO (kernel >= 5.0): the kernel coalesces same-size datagrams of a flow into one receive.
  s->gro = !rawEsp && setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  sockets_[idx] = s;
  socketCount_.store(idx + 1);
  s->rx = std::thread([this, s] { RxLoop(s); });
  return idx;
}

int Datapath::SocketFd(int index) const {
  if (index < 0 || index >= socketCount_.load()) return -1;
  return sockets_[index]->fd;
}

bool Datapath::IsRawEsp(int index) const {
  return index >= 0 && index < socketCount_.load() && sockets_[index]->rawEsp;
}

bool Datapath::IsNatt(int index) const {
  return index >= 0 && index < socketCount_.load() && sockets_[index]->natt;
}

int Datapath::AddTunnel(int fd, const TunnelConfig& cfg) {
  std::lock_guard<std::mutex> lock(addMu_);
  const int idx = tunnelCount_.load();
  if (idx >= kMaxTunnels || closed_) return -1;
  Tunnel* t = new Tunnel();
  t->index = idx;
  t->fd.store(fd);
  t->cfg = cfg;
  t->stopFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  tunnels_[idx].store(t);
  tunnelCount_.store(idx + 1);
  t->tx = std::thread([this, t] { TxLoop(t); });
  return idx;
}

bool Datapath::RemoveTunnel(int index) {
  if (index < 0 || index >= tunnelCount_.load()) return false;
  Tunnel* t = tunnels_[index].load();
  if (t == nullptr || t->fd.load() < 0) return false;
  uint64_t one = 1;
  if (write(t->stopFd, &one, sizeof one) < 0) return false;
  if (t->tx.joinable()) t->tx.join();
  // RX threads stop writing to it; wait out writes in flight so the caller may close the fd.
  // The object itself lives until the datapath closes.
  t->fd.store(-1);
  while (t->writers.load() != 0) std::this_thread::yield();
  {
    std::lock_guard<std::mutex> lock(t->mu);
    t->out.reset();
  }
  return true;
}

bool Datapath::SetOutbound(int index, std::shared_ptr<OutState> out) {
  if (index < 0 || index >= tunnelCount_.load()) return false;
  Tunnel* t = tunnels_[index].load();
  std::lock_guard<std::mutex> lock(t->mu);
  t->out = std::move(out);
  return true;
}

void Datapath::Close() {
  if (closed_.exchange(true)) return;
  uint64_t one = 1;
  if (stopFd_ >= 0 && write(stopFd_, &one, sizeof one) < 0) {
    // eventfd write cannot fail with a counter this small; nothing to do
  }
  for (int i = 0; i < tunnelCount_.load(); i++) {
    Tunnel* t = tunnels_[i].load();
    if (t != nullptr && t->tx.joinable()) t->tx.join();
    if (t != nullptr && t->stopFd >= 0) {
      close(t->stopFd);
      t->stopFd = -1;
    }
  }
  for (int i = 0; i < socketCount_.load(); i++) {
    if (sockets_[i] != nullptr && sockets_[i]->rx.joinable()) sockets_[i]->rx.join();
  }
  onIke_.Release();
}

// Send sealed packets laid out back to back in `arena`. Runs of equal-size packets (the last may
// be shorter) to the peer go out as one UDP_SEGMENT (GSO) super-datagram of up to 64 segments;
// without kernel support (EIO/EINVAL) GSO is switched off and packets go one per message.
void Datapath::SendSealed(const OutState& st, uint8_t* arena, const SealedRef* pkts, int count,
                          TxScratch* x) {
  uint64_t* g = sad_->counters();
  int from = 0;
  int retries = 0;
  while (from < count) {
    // Build messages for pkts[from..).
    int nmsg = 0;
    int segs[kMaxSlots];
    const bool gso = st.udpGso && udpGso_.load(std::memory_order_relaxed);
    for (int i = from; i < count && nmsg < kMaxSlots;) {
      const size_t size = pkts[i].len;
      size_t total = size;
      int n = 1;
      if (gso) {
        while (i + n < count && n < 64 && total + pkts[i + n].len <= 65000 &&
               pkts[i + n].len <= size) {
          total += pkts[i + n].len;
          n++;
          if (pkts[i + n - 1].len < size) break;
        }
      }
      mmsghdr& m = x->msgs[nmsg];
      std::memset(&m, 0, sizeof m);
      x->iovs[nmsg].iov_base = arena + pkts[i].off;
      x->iovs[nmsg].iov_len = total;
      m.msg_hdr.msg_name = const_cast<sockaddr_storage*>(&st.peer);
      m.msg_hdr.msg_namelen = st.peerLen;
      m.msg_hdr.msg_iov = &x->iovs[nmsg];
      m.msg_hdr.msg_iovlen = 1;
      if (n > 1) {
        char* ctrl = x->ctrl[nmsg];
        std::memset(ctrl, 0, kCtrlBytes);
        m.msg_hdr.msg_control = ctrl;
        m.msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
        cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const uint16_t segSize = static_cast<uint16_t>(size);
        std::memcpy(CMSG_DATA(c), &segSize, sizeof segSize);
      }
      segs[nmsg++] = n;
      i += n;
    }
    const int r = sendmmsg(st.sockFd, x->msgs, static_cast<unsigned>(nmsg), 0);
    if (r > 0) {
      for (int k = 0; k < r; k++) {
        from += segs[k];
        g[kGlobalTxPackets] += static_cast<uint64_t>(segs[k]);
      }
      continue;
    }
    const int err = errno;
    if (r < 0 && gso && segs[0] > 1 && (err == EIO || err == EINVAL || err == ENOPROTOOPT)) {
      udpGso_.store(false);  // no UDP GSO on this path (e.g. no checksum offload)
      continue;
    }
    if (r < 0 && (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) && retries < 100) {
      pollfd pfd{st.sockFd, POLLOUT, 0};
      poll(&pfd, 1, 10);
      retries++;
      continue;
    }
    if (r < 0 && err == EINTR) continue;
    g[kGlobalIoErrors]++;
    from += segs[0];  // skip what the kernel refused (e.g. unreachable peer)
  }
}

void Datapath::TxLoop(Tunnel* t) {
  uint64_t* g = sad_->counters();
  std::vector<uint8_t> slots(static_cast<size_t>(t->cfg.vnetHdr ? kMaxSlots : kBurst) * kSlot);
  std::vector<uint8_t> gsoBuf(t->cfg.vnetHdr ? kGsoRead : 0);
  std::vector<uint8_t> icmp(1500);
  // Sealed packets go back to back into the arena so runs can leave as one UDP GSO send.
  std::vector<uint8_t> arena(static_cast<size_t>(kMaxSlots) * 1600 + kSlot);
  auto scratch = std::make_unique<TxScratch>();
  SealedRef sealed[kMaxSlots];
  const int fd = t->fd.load();
  while (WaitReadable(fd, stopFd_, t->stopFd)) {
    std::shared_ptr<OutState> st;
    {
      std::lock_guard<std::mutex> lock(t->mu);
      st = t->out;
    }
    int queued = 0;
    size_t arenaUsed = 0;
    int reads = 0;
    size_t lens[kMaxSlots];
    int inSlots = 0;
    // Fill up to kBurst inner packets into slots (vnet_hdr: split GSO super-packets).
    while (inSlots < kBurst && reads < kBurst) {
      reads++;
      if (t->cfg.vnetHdr) {
        const ssize_t n = read(fd, gsoBuf.data(), gsoBuf.size());
        if (n <= 0) break;
        g[kGlobalTunRead]++;
        if (static_cast<size_t>(n) <= kVnetHdr) continue;
        inSlots += GsoSplit(gsoBuf.data(), static_cast<size_t>(n), slots.data(), kSlot, kHeadroom,
                            inSlots, kMaxSlots, lens);
      } else {
        uint8_t* dst = slots.data() + static_cast<size_t>(inSlots) * kSlot + kHeadroom;
        const ssize_t n = read(fd, dst, kSlot - kHeadroom - 64);
        if (n <= 0) break;
        g[kGlobalTunRead]++;
        lens[inSlots++] = static_cast<size_t>(n);
      }
    }
    if (inSlots == 0) continue;
    if (!st || !st->sa) {
      g[kGlobalDropBase + kDropNoSa] += static_cast<uint64_t>(inSlots);
      continue;
    }
    const uint64_t packetsBefore = st->sa->counters()[kSlotPackets];
    for (int i = 0; i < inSlots; i++) {
      uint8_t* slot = slots.data() + static_cast<size_t>(i) * kSlot;
      uint8_t* pkt = slot + kHeadroom;
      const size_t len = lens[i];
      if (t->cfg.mtu != 0 && len > t->cfg.mtu) {
        const size_t n =
            BuildTooBig(pkt, len, t->cfg.mtu, t->cfg.hasSource4 ? t->cfg.source4 : nullptr,
                        t->cfg.hasSource6 ? t->cfg.source6 : nullptr, icmp.data(), icmp.size());
        if (n != 0) {
          g[kGlobalTooBig]++;
          if (t->cfg.vnetHdr) {
            uint8_t hdr[kVnetHdr] = {};
            iovec v[2] = {{hdr, kVnetHdr}, {icmp.data(), n}};
            if (writev(fd, v, 2) < 0) g[kGlobalIoErrors]++;
          } else if (write(fd, icmp.data(), n) < 0) {
            g[kGlobalIoErrors]++;
          }
          continue;
        }
      }
      const uint16_t mss = (pkt[0] >> 4) == 6 ? t->cfg.mss6 : t->cfg.mss4;
      if (mss != 0 && ClampMss(pkt, len, mss)) g[kGlobalMssClamped]++;
      size_t outLen = 0;
      const size_t cap = arena.size() - arenaUsed;
      if (st->sa->Seal(pkt, len, 0, arena.data() + arenaUsed, cap, &outLen, nullptr) != kDropNone) {
        continue;
      }
      sealed[queued++] = SealedRef{arenaUsed, outLen};
      arenaUsed += outLen;
      if (arena.size() - arenaUsed < kSlot) {  // arena full: flush early
        SendSealed(*st, arena.data(), sealed, queued, scratch.get());
        queued = 0;
        arenaUsed = 0;
      }
    }
    if (queued != 0) SendSealed(*st, arena.data(), sealed, queued, scratch.get());
    if (st->sa->counters()[kSlotPackets] != packetsBefore) st->sa->Touch(MonotonicMs());
  }
}

void Datapath::DeliverInner(int tunnel, uint8_t* inner, size_t len, uint8_t* vnetRoom) {
  uint64_t* g = sad_->counters();
  if (tunnel < 0 || tunnel >= tunnelCount_.load() || len == 0) return;
  Tunnel* t = tunnels_[tunnel].load();
  t->writers.fetch_add(1);
  const int fd = t->fd.load();
  if (fd < 0) {
    t->writers.fetch_sub(1);
    return;
  }
  const uint16_t mss = (inner[0] >> 4) == 6 ? t->cfg.mss6 : t->cfg.mss4;
  if (mss != 0 && ClampMss(inner, len, mss)) g[kGlobalMssClamped]++;
  ssize_t r;
  if (t->cfg.vnetHdr) {
    std::memset(vnetRoom, 0, kVnetHdr);
    r = write(fd, vnetRoom, len + kVnetHdr);
  } else {
    r = write(fd, inner, len);
  }
  t->writers.fetch_sub(1);
  if (r < 0) {
    g[kGlobalIoErrors]++;
  } else {
    g[kGlobalTunWrite]++;
  }
}

void Datapath::RxLoop(Sock* s) {
  uint64_t* g = sad_->counters();
  // With GRO one receive holds up to 64 KB of coalesced datagrams.
  const size_t rxSlot = s->gro ? 65536 + 256 : 16384 + 256;
  const int burst = s->gro ? 16 : kBurst;
  std::vector<uint8_t> bufs(static_cast<size_t>(burst) * rxSlot);
  std::vector<mmsghdr> msgs(static_cast<size_t>(burst));
  std::vector<iovec> iovs(static_cast<size_t>(burst));
  std::vector<sockaddr_storage> from(static_cast<size_t>(burst));
  std::vector<char> ctrl(static_cast<size_t>(burst) * kCtrlBytes);
  int sockIndex = -1;
  for (int i = 0; i < socketCount_.load(); i++) {
    if (sockets_[i] == s) sockIndex = i;
  }
  RxBurstState rs;
  while (WaitReadable(s->fd, stopFd_, -1)) {
    for (int i = 0; i < burst; i++) {
      iovs[i].iov_base = bufs.data() + static_cast<size_t>(i) * rxSlot;
      iovs[i].iov_len = rxSlot;
      std::memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_control = ctrl.data() + static_cast<size_t>(i) * kCtrlBytes;
      msgs[i].msg_hdr.msg_controllen = kCtrlBytes;
    }
    const int n = recvmmsg(s->fd, msgs.data(), static_cast<unsigned>(burst), MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    rs.now = MonotonicMs();
    rs.haveCached = false;
    for (int i = 0; i < n; i++) {
      uint8_t* p = static_cast<uint8_t*>(iovs[i].iov_base);
      const size_t len = msgs[i].msg_len;
      size_t segSize = len;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != nullptr;
           c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
          int v = 0;
          std::memcpy(&v, CMSG_DATA(c), sizeof v);
          if (v > 0) segSize = static_cast<size_t>(v);
        }
      }
      for (size_t off = 0; off < len; off += segSize) {
        const size_t l = len - off < segSize ? len - off : segSize;
        g[kGlobalRxPackets]++;
        HandleDatagram(s, sockIndex, p + off, l, from[i], &rs);
      }
    }
  }
}

void Datapath::HandleDatagram(Sock* s, int sockIndex, uint8_t* p, size_t len,
                              const sockaddr_storage& from, RxBurstState* rs) {
  uint64_t* g = sad_->counters();
  if (s->rawEsp && from.ss_family == AF_INET) {
    // IPv4 raw sockets deliver the IP header too.
    const size_t ihl = len != 0 ? static_cast<size_t>(p[0] & 0x0f) * 4 : 0;
    if (ihl < 20 || len < ihl + 8) {
      sad_->CountDrop(kDropMalformed);
      return;
    }
    p += ihl;
    len -= ihl;
  }
  bool ike = !s->natt && !s->rawEsp;
  size_t ikeOffset = 0;
  if (s->natt) {
    if (len == 1 && p[0] == 0xff) {  // RFC 3948 §2.3 NAT-keepalive
      g[kGlobalKeepalives]++;
      return;
    }
    if (len >= 4 && Be32(p) == 0) {  // RFC 3948 §2.2 non-ESP marker
      ike = true;
      ikeOffset = 4;
    } else if (len < 8) {
      sad_->CountDrop(kDropMalformed);
      return;
    }
  }
  if (ike) {
    g[kGlobalIkePackets]++;
    auto* dg = new IkeDatagram();
    dg->data.assign(p + ikeOffset, p + len);
    dg->address = FormatSockaddr(from, &dg->port);
    dg->socket = sockIndex;
    if (onIke_.NonBlockingCall(dg, [](Napi::Env env, Napi::Function cb, IkeDatagram* d) {
          Napi::Buffer<uint8_t> b = Napi::Buffer<uint8_t>::Copy(env, d->data.data(), d->data.size());
          cb.Call({b, Napi::String::New(env, d->address), Napi::Number::New(env, d->port),
                   Napi::Number::New(env, d->socket)});
          delete d;
        }) != napi_ok) {
      delete dg;
    }
    return;
  }
  const uint32_t spi = Be32(p);
  if (!rs->haveCached || spi != rs->cachedSpi) {
    if (!sad_->Find(spi, &rs->cached)) {
      rs->haveCached = false;
      sad_->CountDrop(kDropUnknownSpi);
      return;
    }
    rs->haveCached = true;
    rs->cachedSpi = spi;
  }
  EspSa* sa = rs->cached.sa.get();
  uint8_t* inner = p + sa->HeaderBytes();
  size_t innerLen = 0;
  uint8_t nh = 0;
  if (sa->Open(p, len, inner, len - sa->HeaderBytes(), &innerLen, &nh) != kDropNone) return;
  sa->Touch(rs->now);
  DeliverInner(rs->cached.tunnel, inner, innerLen, inner - kVnetHdr);
}

}  // namespace nvad
