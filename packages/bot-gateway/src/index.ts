export { startGateway, DEFAULT_MAX_PENDING, DEFAULT_MAX_UPDATES, type GatewayOptions, type RunningGateway } from './gateway.ts';
export { MAX_BODY_BYTES } from './http-server.ts';
export { parseHtml } from './parse-mode.ts';
export { parseMarkdownV2 } from './markdown-v2.ts';
