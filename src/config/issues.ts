/** Collected semantic problems, each at the YAML path of the node it is about. */
import { expectedName } from './hint.js';
import type { ConfigIssue, RoutingContext } from './types.js';

export type Path = (string | number)[];

export class Issues {
  readonly list: ConfigIssue[] = [];
  add(path: Path, message: string): void {
    this.list.push({ path: [...path], message });
  }
}

export function checkContextRef(
  ctx: string | undefined,
  path: Path,
  contexts: Readonly<Record<string, RoutingContext>>,
  issues: Issues,
): void {
  if (ctx === undefined || ctx in contexts) return;
  const names = Object.keys(contexts).sort();
  issues.add(
    path,
    `unknown routing-context "${ctx}" (${expectedName(ctx, names, 'routing-context')})`,
  );
}
