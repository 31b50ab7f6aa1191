/** Nest injection token of the process's pino logger. */
export const LOGGER = Symbol.for('msp.logger');
