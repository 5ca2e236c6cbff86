import { selectBackend } from '../../src/backend';
await selectBackend('wasm');
