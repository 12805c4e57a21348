/**
 * Capture tool (not a test): a minimal passive BGP endpoint that accepts one connection, answers
 * the peer's OPEN with our own OPEN + KEEPALIVE (built by src/bgp/wire), keeps the session up for
 * a few seconds, and writes every message the peer sent to a JSON vector file as hex.
 *
 *   ip netns exec <ns> npx tsx test/vectors/bgp/capture.ts <listen-ip> <local-as> <bgp-id> <out.json> <seconds> <source>
 *
 * Used to record the BIRD/FRR vectors in this directory (see README.md next to them).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { decodeMessage, encodeMessageBytes } from '../../../src/bgp/wire/message.js';
import { nextMessageLength } from '../../../src/bgp/wire/header.js';
import { buildOpen } from '../../../src/bgp/wire/open.js';
import { parseBgpId } from '../../../src/bgp/open-negotiation.js';
import { messageTypeName } from '../../../src/bgp/wire/constants.js';

const [listenIp, localAsStr, bgpIdStr, outFile, secondsStr, source] = process.argv.slice(2);
if (!listenIp || !localAsStr || !bgpIdStr || !outFile || !secondsStr || !source) {
  console.error('usage: capture.ts <listen-ip> <local-as> <bgp-id> <out.json> <seconds> <source>');
  process.exit(2);
}
const outPath: string = outFile;
const sourceName: string = source;
const localAs = Number(localAsStr);
const bgpId = parseBgpId(bgpIdStr) ?? 0;
const seconds = Number(secondsStr);

const messages: { type: string; hex: string }[] = [];
const ctx = { as4: true };

function handle(sock: Socket): void {
  let buf = Buffer.alloc(0);
  let sentOpen = false;
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const len = nextMessageLength(buf, 0, ctx);
      if (len === null || buf.length < len) break;
      const one = buf.subarray(0, len);
      buf = buf.subarray(len);
      const type = messageTypeName(one[18] ?? 0);
      messages.push({ type, hex: one.toString('hex') });
      const m = decodeMessage(one, ctx);
      if (m.type === 'OPEN' && !sentOpen) {
        sentOpen = true;
        const open = buildOpen({
          localAs,
          holdTimeSec: 90,
          bgpId,
          families: [
            { afi: 1, safi: 1 },
            { afi: 2, safi: 1 },
          ],
        });
        sock.write(encodeMessageBytes({ type: 'OPEN', open }, ctx));
        sock.write(encodeMessageBytes({ type: 'KEEPALIVE' }, ctx));
      }
    }
  });
  setTimeout(() => {
    // Cease / Administrative Shutdown so the peer logs a clean close.
    sock.end(
      encodeMessageBytes(
        {
          type: 'NOTIFICATION',
          notification: { errorCode: 6, subcode: 2, data: new Uint8Array(0) },
        },
        ctx,
      ),
    );
    writeFileSync(
      outPath,
      `${JSON.stringify({ source: sourceName, capturedBy: 'test/vectors/bgp/capture.ts', localAs, messages }, null, 2)}\n`,
    );
    console.log(`captured ${messages.length} messages`);
    process.exit(0);
  }, seconds * 1000);
}

const server = createServer((sock) => {
  server.close();
  handle(sock);
});
server.listen(179, listenIp);
setTimeout(() => {
  console.error('no connection');
  process.exit(1);
}, 30_000).unref();
