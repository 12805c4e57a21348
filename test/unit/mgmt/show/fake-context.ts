import type { ComponentStatus, ShowContext } from '../../../../src/mgmt/show/context.js';
import { ViewRegistry } from '../../../../src/mgmt/show/context.js';
import { MemoryKernel } from '../../daemon/fake-kernel.js';

export function fakeContext(
  over: { kernel?: MemoryKernel; managed?: string[]; yaml?: string } = {},
): {
  ctx: ShowContext;
  kernel: MemoryKernel;
  views: ViewRegistry;
} {
  const kernel = over.kernel ?? new MemoryKernel();
  const views = new ViewRegistry();
  const components: ComponentStatus[] = [
    { name: 'loopbacks', state: 'running', detail: '1 loopback address' },
  ];
  const ctx: ShowContext = {
    daemon: {
      nodeName: 'nva-10',
      version: '0.1.0',
      configFile: '/etc/nvad/nvad.yaml',
      pid: 4242,
      startedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5),
      uptimeSec: () => 93784.6,
    },
    kernel,
    runningConfig: () => over.yaml ?? 'node:\n  name: nva-10\n',
    configLoadedAtMs: () => Date.UTC(2026, 0, 2, 3, 4, 6),
    managedInterfaces: () => over.managed ?? ['lo'],
    components: () => components,
    view: (key) => views.get(key),
  };
  return { ctx, kernel, views };
}
