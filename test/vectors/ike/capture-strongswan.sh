#!/bin/bash
# Capture a strongSwan IKEv2 PSK exchange between two charons in netns (nvh7a/nvh7b + pid).
set -u
PROP=${1:-aes256-sha256-modp2048}
ESP=${2:-aes256-sha256}
TAG=${3:-cbc}
D=/tmp/h7cap/$TAG; rm -rf $D; mkdir -p $D
A=nvh7a$$; B=nvh7b$$
cleanup() { for n in $A $B; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; sleep 0.2; ip netns del $n 2>/dev/null; done; }
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add h7a$$ netns $A type veth peer name h7b$$ netns $B
ip -n $A addr add 10.77.0.1/24 dev h7a$$; ip -n $A link set h7a$$ up; ip -n $A link set lo up
ip -n $B addr add 10.77.0.2/24 dev h7b$$; ip -n $B link set h7b$$ up; ip -n $B link set lo up
for s in a b; do
  mkdir -p $D/$s/varrun
  if [ $s = a ]; then L=10.77.0.1; R=10.77.0.2; else L=10.77.0.2; R=10.77.0.1; fi
  cat > $D/$s/strongswan.conf <<CONF
charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 hmac gcm kdf gmp pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
  install_virtual_ip = no
  install_routes = no
  fragment_size = ${FRAGSIZE:-1280}
  plugins { vici { socket = unix://$D/$s/charon.vici } }
  filelog {
    main {
      path = $D/$s/charon.log
      ike_name = yes
      default = 1
      ike = 4
      enc = 4
      cfg = 2
      chd = 4
    }
  }
}
CONF
  cat > $D/$s/swanctl.conf <<CONF
connections {
  t {
    version = 2
    local_addrs = $L
    remote_addrs = $R
    proposals = $PROP
    mobike = no
    fragmentation = ${FRAGMODE:-yes}
    local {
      auth = psk
      id = $L
    }
    remote {
      auth = psk
      id = $R
    }
    children {
      c {
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = $ESP
        start_action = none
      }
    }
  }
}
secrets {
  ike-1 {
    id-1 = 10.77.0.1
    id-2 = 10.77.0.2
    secret = "nvad-test-psk-h7"
  }
}
CONF
done
ip netns exec $A tcpdump -i h7a$$ -U -w $D/ike.pcap udp port 500 or udp port 4500 2>/dev/null &
sleep 0.5
for s in a b; do
  N=$A; [ $s = b ] && N=$B
  STRONGSWAN_CONF=$D/$s/strongswan.conf setsid ip netns exec $N unshare -m sh -c "mount --bind $D/$s/varrun /run && exec /usr/lib/ipsec/charon" >/dev/null 2>&1 &
done
sleep 1.5
for s in a b; do swanctl --load-all --uri unix://$D/$s/charon.vici --file $D/$s/swanctl.conf >/dev/null 2>&1; done
swanctl --initiate --child c --uri unix://$D/a/charon.vici --timeout 5 > $D/initiate.txt 2>&1
if [ -n "${REKEY:-}" ]; then
  swanctl --rekey --child c --uri unix://$D/a/charon.vici > $D/rekey-child.txt 2>&1; sleep 0.5
  swanctl --rekey --ike t --uri unix://$D/a/charon.vici > $D/rekey-ike.txt 2>&1; sleep 0.5
fi
sleep 1
ip netns pids $A | xargs -r kill 2>/dev/null
sleep 0.3
echo done $TAG
