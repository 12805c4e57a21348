export { ApiServer, ApiListenError } from './server.js';
export type { ApiServerOptions } from './server.js';
export { BearerAuth, parseTokenFile } from './auth.js';
export type { AuthResult } from './auth.js';
export { createDaemonMetrics } from './metrics.js';
export type { DaemonMetrics, DaemonMetricsOptions, ReloadResult } from './metrics.js';
export {
  DEFAULT_API_LISTEN,
  parseListen,
  formatListen,
  isLoopbackHost,
  listenUrl,
} from './listen.js';
export type { ListenAddress } from './listen.js';
export type { StatusDto, ErrorDto, ShowListDto } from './dto.js';
