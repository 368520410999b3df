export { main, HELP } from './main.ts';
export { FileStore } from './file-store.ts';
