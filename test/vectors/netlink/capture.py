"""Turns strace hex dumps (stdin, from capture.sh) into JSON vectors: one entry per command with
the request bytes it wrote and the reply bytes it read (recvmsg with MSG_PEEK excluded)."""
import json
import re
import sys

out = []
cur = {"writes": [], "reads": []}
mode = None
buf = ""
for line in sys.stdin:
    if line.startswith("@@END "):
        if buf and mode:
            cur[mode].append(buf)
        out.append({"command": line[6:].strip(), **cur})
        cur = {"writes": [], "reads": []}
        mode, buf = None, ""
        continue
    m = re.match(r"^\s*\d*\s*(sendmsg|recvmsg)\(", line)
    if m:
        if buf and mode:
            cur[mode].append(buf)
        buf = ""
        peek = "MSG_PEEK" in line
        mode = None if peek else ("writes" if m.group(1) == "sendmsg" else "reads")
        continue
    h = re.match(r"^ \| [0-9a-f]{5}  ((?:[0-9a-f]{2} {1,2}){1,16})", line)
    if h and mode:
        buf += h.group(1).replace(" ", "")
if buf and mode:
    cur[mode].append(buf)
print(json.dumps({
    "source": "iproute2 6.1 and Linux kernel rtnetlink, captured with strace -e write/-e read "
              "(test/vectors/netlink/capture.sh)",
    "captures": out,
}, indent=1))
