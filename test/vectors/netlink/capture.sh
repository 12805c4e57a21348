#!/bin/sh
# Regenerates captured.json: netlink messages exchanged by iproute2 (6.1) and the Linux kernel,
# recorded with strace's hex dumps (-e write / -e read) inside a throw-away network namespace.
# Usage (root): sh test/vectors/netlink/capture.sh > test/vectors/netlink/captured.json
set -eu
here=$(dirname "$0")
exec unshare -n sh -eu -c '
  tr() { strace -qq -e trace=sendmsg,recvmsg -e write=3,4,5 -e read=3,4,5 -o /tmp/nvcap.$$ "$@" >/dev/null 2>&1 || true; cat /tmp/nvcap.$$; echo "@@END $*"; rm -f /tmp/nvcap.$$; }
  ip link set lo up
  ip link add va type veth peer name vb; ip link add vc type veth peer name vd
  for l in va vb vc vd; do ip link set $l up; done
  ip addr add 192.0.2.1/24 dev va; ip addr add 198.51.100.1/24 dev vc
  tr ip addr add 10.0.0.1/32 dev lo
  tr ip addr add 2001:db8::1/128 dev lo
  tr ip link set dev va mtu 1400
  tr ip nexthop add id 1 via 192.0.2.2 dev va proto bgp
  ip nexthop add id 2 via 198.51.100.2 dev vc proto bgp
  tr ip nexthop add id 10 group 1/2,3 proto bgp
  tr ip route add 10.1.0.0/24 nhid 10 proto bgp table 1000
  tr ip route add 10.2.0.0/24 proto bgp nexthop via 192.0.2.2 dev va nexthop via 198.51.100.2 dev vc weight 3
  tr ip rule add from 10.1.0.0/16 table 1000 pref 100
  tr ip route add 10.3.0.0/24 nhid 99
  tr ip -d link show dev va
  tr ip nexthop show id 10
' | python3 "$here/capture.py"
