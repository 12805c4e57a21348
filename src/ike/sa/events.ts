/** Typed IKE domain events for the tunnel/BGP layers and metrics (no secrets in payloads). */
export type IkeEvent =
  | {
      readonly type: 'ike:sa:established';
      readonly tunnel: string;
      readonly peer: string;
      readonly spiI: bigint;
      readonly spiR: bigint;
      readonly rekey: boolean;
    }
  | {
      readonly type: 'ike:sa:failed';
      readonly tunnel: string;
      readonly peer: string;
      readonly reason: string;
    }
  | {
      readonly type: 'ike:sa:deleted';
      readonly tunnel: string;
      readonly peer: string;
      readonly spiI: bigint;
      readonly spiR: bigint;
      readonly reason: string;
    }
  | {
      readonly type: 'child:installed';
      readonly tunnel: string;
      readonly spiIn: number;
      readonly spiOut: number;
      readonly rekey: boolean;
    }
  | {
      readonly type: 'child:deleted';
      readonly tunnel: string;
      readonly spiIn: number;
      readonly spiOut: number;
    }
  | { readonly type: 'child:failed'; readonly tunnel: string; readonly reason: string }
  | { readonly type: 'peer-dead'; readonly tunnel: string; readonly peer: string };

export type IkeEventType = IkeEvent['type'];
