export * from './errors.ts';
export * from './common.ts';
export * from './rest.ts';
export * from './device-link.ts';
export * from './realtime.ts';
export * from './content.ts';
export * from './key-log.ts';
export * from './entities.ts';
