import { join } from 'node:path';
import { ensureInfra, ensureModels, repoRoot, startTopology } from '@msp/topology';
import { measureCpu, pidsNamed } from './cpu.js';
import { runLoad } from './load.js';
import { printTable, writeResults, type BenchRow } from './report.js';

/**
 * `pnpm bench`: web-single against the synchronous path (gateway → NATS → predictor), same
 * model and body, at each concurrency, the two measured next to each other so machine drift
 * hits both. Env: BENCH_DURATION_MS (default 5000), BENCH_CONCURRENCY (default "1,16,64").
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 5000);
const warmupMs = Math.min(1000, durationMs / 5);
const concurrencies = (process.env['BENCH_CONCURRENCY'] ?? '1,16,64').split(',').map(Number);
const MODEL = 'iris-mlp';
const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });

async function main(): Promise<void> {
  const modelsExit = await ensureModels();
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  // NATS_URL points the run at a NATS of its own, so other topologies on this machine are not its load.
  const natsUrl = process.env['NATS_URL'];
  const infra = await ensureInfra(natsUrl ? { natsUrl } : {});
  // The other models' predictors sit idle: they cost memory, not CPU.
  const topology = await startTopology('all', { ports: { gateway: 0, webSingle: 0 }, output: false, ...(natsUrl ? { natsUrl } : {}) });
  const rows: BenchRow[] = [];
  try {
    // With several nats-servers on the machine, the one on this run's port.
    const natsPort = natsUrl ? new URL(natsUrl).port : undefined;
    const natsServer = (natsPort ? pidsNamed('nats-server', natsPort) : [])[0] ?? pidsNamed('nats-server')[0];
    const targets = [
      {
        pattern: 'web-single',
        url: `${topology.urls.webSingle}/v2/models/${MODEL}/infer`,
        processes: { predictor: topology.service('web-single').pid },
      },
      {
        pattern: 'synchronous',
        url: `${topology.urls.gateway}/v2/models/${MODEL}/infer`,
        processes: { gateway: topology.service('gateway').pid, 'nats-server': natsServer, predictor: topology.predictorOf(MODEL).pid },
      },
    ];
    for (const concurrency of concurrencies) {
      for (const { pattern, url, processes } of targets) {
        process.stdout.write(`${pattern} at concurrency ${concurrency} for ${durationMs} ms… `);
        const { result, cpuMs } = await measureCpu(processes, () => runLoad({ url, body, concurrency, durationMs, warmupMs }));
        // CPU µs each process spent per answered request: where the time goes.
        const cpuPerRequestUs = Object.fromEntries(
          Object.entries(cpuMs).map(([name, ms]) => [name, Math.round((ms * 1000) / Math.max(1, result.requests))]),
        );
        console.log(`${result.requestsPerSecond} req/s; CPU µs/request ${JSON.stringify(cpuPerRequestUs)}`);
        rows.push({ pattern, model: MODEL, concurrency, result, cpuPerRequestUs });
      }
    }
  } finally {
    await topology.stop();
    await infra.stop();
  }

  console.log();
  printTable(rows);
  const comparison = concurrencies.map((concurrency) => {
    const single = rows.find((row) => row.pattern === 'web-single' && row.concurrency === concurrency)?.result;
    const sync = rows.find((row) => row.pattern === 'synchronous' && row.concurrency === concurrency)?.result;
    if (!single || !sync) return { concurrency, hopP50Ms: undefined, throughputRatio: undefined };
    return {
      concurrency,
      hopP50Ms: Number((sync.latencyMs.p50 - single.latencyMs.p50).toFixed(3)),
      throughputRatio: Number((sync.requestsPerSecond / single.requestsPerSecond).toFixed(3)),
    };
  });
  console.log('\nNATS hop (synchronous − web-single): goal p50 ≤ 1 ms and ≥ 60 % of web-single throughput');
  for (const row of comparison) {
    if (row.hopP50Ms !== undefined && row.throughputRatio !== undefined) {
      console.log(`  concurrency ${row.concurrency}: +${row.hopP50Ms} ms p50, ${Math.round(row.throughputRatio * 100)} % throughput`);
    }
  }
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'sync-vs-web-single', {
    durationMs,
    warmupMs,
    rows,
    comparison,
  });
  console.log(`\nresults: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
