// The native data plane: per tunnel a TX thread, per UDP socket an RX thread; JS only installs
// SAs and reads counters.
//
//   TX (one thread per tunnel):  TUN read (burst of up to 64, non-blocking)
//        -> inner processing (MSS clamp, ICMP too-big back into the TUN)
//        -> outbound SA seal (in place, headroom reserved for SPI/seq/IV)
//        -> sendmmsg to the peer (UDP 4500, RFC 3948)
//   RX (one thread per UDP socket):  recvmmsg (up to 64)
//        -> 0xFF keepalive: count | non-ESP marker (4 zero bytes) / port-500 socket: IKE -> JS
//        -> ESP: SAD lookup by SPI -> replay/ICV/decrypt in place -> MSS clamp -> TUN write
//
// SA changes from JS are thread-safe: the outbound state is a shared_ptr swapped under a mutex that
// the TX thread holds only to copy it once per burst; the SAD mutex is held only for a lookup.
#pragma once
#include <napi.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "esp_sa.h"
#include "esp_sad.h"

namespace nvad {

constexpr int kMaxTunnels = 256;
constexpr int kMaxSockets = 16;
constexpr int kBurst = 64;
constexpr size_t kHeadroom = 32;  // TX slot room before the inner packet (>= ESP header + CBC IV)

struct OutState {
  std::shared_ptr<EspSa> sa;
  int sockFd = -1;
  sockaddr_storage peer{};
  socklen_t peerLen = 0;
  bool udpGso = true;  // UDP_SEGMENT allowed on this socket (not on raw ESP)
};

struct TunnelConfig {
  bool vnetHdr = false;
  uint32_t mtu = 0;   // inner packets above this get ICMP too-big (0: no check)
  uint16_t mss4 = 0;  // clamp IPv4 SYN MSS to this (0: off)
  uint16_t mss6 = 0;
  bool hasSource4 = false;
  bool hasSource6 = false;
  uint8_t source4[4] = {0, 0, 0, 0};
  uint8_t source6[16] = {};
};

struct Tunnel {
  int index = -1;
  std::atomic<int> fd{-1};
  std::atomic<int> writers{0};  // RX threads inside a TUN write (RemoveTunnel waits for 0)
  TunnelConfig cfg;
  int stopFd = -1;
  std::mutex mu;
  std::shared_ptr<OutState> out;
  std::thread tx;
};

struct Sock {
  int fd = -1;
  bool gro = false;
  bool natt = true;     // port 4500: non-ESP marker demux; false: every datagram is IKE (port 500)
  bool rawEsp = false;  // IPPROTO_ESP raw socket: every packet is ESP (IPv4: after the IP header)
  std::thread rx;
};

struct IkeDatagram;

// SPI lookup cache of one receive burst.
struct RxBurstState {
  EspSad::Entry cached;
  uint32_t cachedSpi = 0;
  bool haveCached = false;
  uint64_t now = 0;
};

// Where a sealed packet sits in the TX arena.
struct SealedRef {
  size_t off;
  size_t len;
};

constexpr size_t kCtrlBytes = 64;

// Per-TX-thread message arrays for sendmmsg (heap: too big for a thread stack frame).
struct TxScratch {
  mmsghdr msgs[192];
  iovec iovs[192];
  char ctrl[192][kCtrlBytes];
};

class Datapath {
 public:
  Datapath(std::shared_ptr<EspSad> sad, Napi::ThreadSafeFunction onIke);
  ~Datapath();
  int AddSocket(int fd, bool natt, bool rawEsp);
  int AddTunnel(int fd, const TunnelConfig& cfg);
  bool RemoveTunnel(int index);
  bool SetOutbound(int tunnel, std::shared_ptr<OutState> out);
  int SocketFd(int index) const;
  bool IsNatt(int index) const;
  bool IsRawEsp(int index) const;
  void Close();
  uint64_t* counters() { return sad_->counters(); }
  std::shared_ptr<EspSad> sad() { return sad_; }

 private:
  void TxLoop(Tunnel* t);
  void RxLoop(Sock* s);
  void HandleDatagram(Sock* s, int sockIndex, uint8_t* p, size_t len, const sockaddr_storage& from,
                      RxBurstState* rs);
  void DeliverInner(int tunnel, uint8_t* inner, size_t len, uint8_t* vnetRoom);
  void SendSealed(const OutState& st, uint8_t* arena, const SealedRef* pkts, int count,
                  TxScratch* x);

  std::shared_ptr<EspSad> sad_;
  Napi::ThreadSafeFunction onIke_;
  int stopFd_ = -1;
  std::atomic<bool> closed_{false};
  std::atomic<bool> udpGso_{true};
  std::mutex addMu_;
  std::atomic<Tunnel*> tunnels_[kMaxTunnels] = {};
  std::atomic<int> tunnelCount_{0};
  Sock* sockets_[kMaxSockets] = {};
  std::atomic<int> socketCount_{0};
};

}  // namespace nvad
