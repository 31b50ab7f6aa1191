import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, Readiness, type Logger } from '@msp/telemetry';
import { MONITOR_CONFIG } from '../config/config.module.js';
import type { MonitorConfig } from '../config/monitor-config.schema.js';
import { MonitorReadiness } from '../health/monitor.readiness.js';
import { LogConsumer } from './log.consumer.js';
import { LogController } from './log.controller.js';
import { LogStoreRepository } from './log-store.repository.js';
import { openSqlClient, type SqlClient } from './sql.client.js';

const SQL_CLIENT = Symbol.for('msp.sql-client');

/** Closes the database after the consumer and the endpoints have stopped. */
class SqlCloser implements OnApplicationShutdown {
  constructor(@Inject(SQL_CLIENT) private readonly sql: SqlClient) {}

  onApplicationShutdown(): Promise<void> {
    return this.sql.close();
  }
}

/** The prediction log's store: its database, the consumer that fills it and the endpoints that read it. */
@Module({
  controllers: [LogController],
  providers: [
    {
      provide: SQL_CLIENT,
      inject: [MONITOR_CONFIG, LOGGER, Readiness],
      useFactory: async (config: MonitorConfig, logger: Logger, readiness: Readiness) => {
        const sql = await openSqlClient(config.store);
        readiness.set(MonitorReadiness.store, true);
        logger.info({ store: config.store.kind, ...(config.store.kind === 'embedded' ? { dataDir: config.store.dataDir } : {}) }, 'prediction log store open');
        return sql;
      },
    },
    {
      provide: LogStoreRepository,
      inject: [SQL_CLIENT],
      useFactory: async (sql: SqlClient) => {
        const store = new LogStoreRepository(sql);
        await store.migrate();
        return store;
      },
    },
    LogConsumer,
    SqlCloser,
  ],
  exports: [LogConsumer, LogStoreRepository],
})
export class LogModule {}
