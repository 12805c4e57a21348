import json, re, struct, sys
tag, ike, esp = sys.argv[1], sys.argv[2], sys.argv[3]
D = f'/tmp/h7cap/{tag}'
raw = open(f'{D}/ike.pcap','rb').read()
off = 24; msgs = []
while off < len(raw):
    _, _, incl, _ = struct.unpack('<IIII', raw[off:off+16]); off += 16
    pkt = raw[off:off+incl]; off += incl
    ip = pkt[14:]; ihl = (ip[0] & 15) * 4
    src = '.'.join(map(str, ip[12:16])); dst = '.'.join(map(str, ip[16:20]))
    udp = ip[ihl:]; sport, dport = struct.unpack('>HH', udp[:4]); data = udp[8:]
    if sport == 4500:
        assert data[:4] == b'\0\0\0\0'; data = data[4:]
    msgs.append({'from': f'{src}:{sport}', 'to': f'{dst}:{dport}', 'hex': data.hex()})
vals = {}; cur = None
for line in open(f'{D}/a/charon.log'):
    m = re.search(r'\[(IKE|CHD)\] <t\|1> (.+?) => (\d+) bytes', line)
    if m:
        name = m.group(2); cur = [name, int(m.group(3)), '']
        vals.setdefault(name, []).append(cur); continue
    m = re.search(r'\[(IKE|CHD)\] <t\|1>\s+\d+: ((?:[0-9A-F]{2} ){1,16})', line)
    if m and cur is not None and len(cur[2]) < cur[1] * 2:
        cur[2] += m.group(2).replace(' ', '').lower()
def one(name, i=0):
    v = vals[name][i]; assert len(v[2]) == v[1] * 2, name; return v[2]
out = {
  'source': f'strongSwan 5.9.8 charon pair in network namespaces (initiator 10.77.0.1, responder 10.77.0.2), captured with tcpdump; keys from the initiator log (ike=4, chd=4). Proposals: IKE {ike}, ESP {esp}.',
  'ikeProposal': ike, 'espProposal': esp, 'psk': 'nvad-test-psk-h7',
  'messages': msgs,
  'dhSecret': one('shared Diffie Hellman secret'), 'skeyseed': one('SKEYSEED'),
  'skD': one('Sk_d secret'), 'skAi': one('Sk_ai secret') if 'Sk_ai secret' in vals else '',
  'skAr': one('Sk_ar secret') if 'Sk_ar secret' in vals else '',
  'skEi': one('Sk_ei secret'), 'skEr': one('Sk_er secret'), 'skPi': one('Sk_pi secret'), 'skPr': one('Sk_pr secret'),
  'octetsI': one('octets = message + nonce + prf(Sk_px, IDx\')', 0), 'authI': one('AUTH = prf(prf(secret, keypad), octets)', 0),
  'octetsR': one('octets = message + nonce + prf(Sk_px, IDx\')', 1), 'authR': one('AUTH = prf(prf(secret, keypad), octets)', 1),
  'childEncI': one('encryption initiator key'), 'childEncR': one('encryption responder key'),
  'childIntegI': one('integrity initiator key') if 'integrity initiator key' in vals else '',
  'childIntegR': one('integrity responder key') if 'integrity responder key' in vals else '',
}
if len(vals.get('SKEYSEED', [])) > 1:
    out['rekey'] = {
      'childDhSecret': one('DH secret'),
      'childEncI': one('encryption initiator key', 1), 'childEncR': one('encryption responder key', 1),
      'childIntegI': one('integrity initiator key', 1) if 'integrity initiator key' in vals else '',
      'childIntegR': one('integrity responder key', 1) if 'integrity responder key' in vals else '',
      'ikeDhSecret': one('shared Diffie Hellman secret', 1), 'skeyseed': one('SKEYSEED', 1),
      'skD': one('Sk_d secret', 1), 'skAi': one('Sk_ai secret', 1), 'skAr': one('Sk_ar secret', 1),
      'skEi': one('Sk_ei secret', 1), 'skEr': one('Sk_er secret', 1), 'skPi': one('Sk_pi secret', 1), 'skPr': one('Sk_pr secret', 1),
    }
json.dump(out, open(f'/work/main/test/vectors/ike/strongswan-{tag}.json','w'), indent=2)
print(tag, len(msgs), {k: len(v) if isinstance(v, str) else '' for k, v in out.items()})
