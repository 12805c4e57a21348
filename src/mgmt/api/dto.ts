/** JSON bodies of the management API that are not show commands (docs/show-json.md). */
import type { ComponentStatus } from '../show/context.js';

/** `GET /v1/status` (stable). */
export interface StatusDto {
  readonly nodeName: string;
  readonly version: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeSec: number;
  readonly configFile: string;
  readonly configLoadedAt: string;
  readonly components: readonly ComponentStatus[];
}

/** Every error answer: `{"error": {"status": 404, "message": "..."}}`. */
export interface ErrorDto {
  readonly error: { readonly status: number; readonly message: string };
}

/** `GET /v1/show`: the available show commands. */
export interface ShowListDto {
  readonly commands: readonly {
    readonly name: string;
    readonly summary: string;
    readonly params: readonly {
      readonly name: string;
      readonly summary: string;
      readonly optional: boolean;
    }[];
  }[];
}
