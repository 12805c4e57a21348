/**
 * Public surface of the ESP module (other modules import from here only). The native fast path
 * (`native-*.ts`) adds its own exports below the reference ones.
 */
export { DROP_REASON, DROP_CODE_COUNT, dropReasonName, isDropReason } from './drop-reason.js';
export type { DropReason, DropCode } from './drop-reason.js';
export { EspSad, manualSaPair } from './sad.js';
export type { InboundSa, OutboundSa, SaSnapshot, ManualSaInput, Direction } from './sad.js';
export { ReplayWindow, DEFAULT_REPLAY_WINDOW } from './replay.js';
export { inferSeqHigh, fullSeq, ESN_INFERENCE_WINDOW_WHEN_DISABLED } from './esn.js';
export { OutboundSequence, SEQ_LIMIT_32, SEQ_LIMIT_64, SEQ_SOFT_MARGIN } from './sequence.js';
export {
  sealEsp,
  openEsp,
  decryptEsp,
  parseTrailer,
  espLengthOk,
  espOverhead,
  espLayout,
  peekEspHeader,
  NEXT_HEADER,
  ESP_HEADER_BYTES,
} from './wire.js';
export type { EspSaKeys, EspOpened, EspLayout } from './wire.js';
export { ReferenceDatapath } from './reference-datapath.js';
export type {
  InboundResult,
  OutboundResult,
  InnerPacketOps,
  TunnelDataSettings,
} from './reference-datapath.js';

// Native fast path (the addon is loaded on first use, not at import).
export { NativeEspSa, NativeEspSad, EspBatch, nativeDropName, espAddon } from './native-esp.js';
export type { NativeSaOptions, NativeOutcome } from './native-esp.js';
export { NativeDatapath } from './native-datapath.js';
export type { TunHandle, DatapathTunnelOptions, DatapathCounters } from './native-datapath.js';
