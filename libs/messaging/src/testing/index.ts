export { ownNatsServer } from './nats-server.js';
export type { OwnNatsServer } from './nats-server.js';
