import { join } from 'node:path';
import { ensureInfra, ensureModels, modelsDir, opsReadiness, findFreePort, repoRoot, startApp, startTopology, type ServiceProcess } from '@msp/topology';
import { measureCpu, pidsNamed } from './cpu.js';
import { runLoad, type LoadResult } from './load.js';
import { writeResults } from './report.js';

/**
 * `pnpm bench:capacity` (docs/capacity.md): the capacity model's inputs and its check. Under one
 * fixed closed-loop load on the synchronous path (gateway → NATS → iris-mlp), with 1, 2 and 3
 * iris-mlp replicas, it measures throughput and the CPU each process spends per request
 * (/proc utime+stime: CPU time, which other load on the machine does not inflate as it does
 * wall time). The model is fitted on the 1-replica run only and predicts the 2- and 3-replica
 * throughput; the table shows prediction against measurement. Runs in the order 1,2,3,3,2,1 and
 * averages each pair, so drift in the machine's other load hits every step alike.
 * Env: BENCH_DURATION_MS (default 6000), BENCH_CONCURRENCY (default 16), NATS_URL.
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 6000);
const warmupMs = Math.min(1000, durationMs / 5);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const MODEL = 'iris-mlp';
const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });

interface Step {
  replicas: number;
  result: LoadResult;
  /** CPU µs per answered request, by process (predictors summed). */
  cpuUs: Record<string, number>;
  /** Cores busy on our processes during the run (CPU ms / wall ms). */
  coresUsed: number;
  /** Cores one predictor replica used: what its HPA compares with its CPU request. */
  coresPerReplica: number;
}

/** The model: throughput is bounded by each single-threaded stage and by the cores the run gets. */
export interface CapacityModel {
  cpuUs: Record<string, number>;
  coresAvailable: number;
}

export function predictThroughput(model: CapacityModel, replicas: number): { rps: number; binds: string } {
  const us = (name: string): number => model.cpuUs[name] ?? 0;
  const total = Object.values(model.cpuUs).reduce((sum, value) => sum + value, 0);
  const bounds: [string, number][] = [
    [`${replicas} predictor(s) at one core each`, (replicas * 1e6) / us('predictor')],
    ['the gateway (one event loop)', 1e6 / us('gateway')],
    [`the machine (${model.coresAvailable.toFixed(2)} cores for ${Math.round(total)} µs/request)`, (model.coresAvailable * 1e6) / total],
  ];
  bounds.sort((a, b) => a[1] - b[1]);
  const [binds, rps] = bounds[0]!;
  return { rps: Math.round(rps), binds };
}

async function main(): Promise<void> {
  const modelsExit = await ensureModels({ models: [MODEL] });
  if (modelsExit !== 0) throw new Error(`training ${MODEL} failed (exit ${modelsExit})`);
  const natsUrl = process.env['NATS_URL'];
  const infra = await ensureInfra(natsUrl ? { natsUrl } : {});
  const topology = await startTopology('training-to-serving', {
    ports: { gateway: 0 },
    output: false,
    ...(natsUrl ? { natsUrl } : {}),
    // Files, not the registry: the replicas started below load the same way.
    serviceEnv: { 'predictor-iris-mlp': { MODEL_SOURCE: undefined } },
  });
  const extra: ServiceProcess[] = [];
  const steps: Step[] = [];
  try {
    const natsPort = natsUrl ? new URL(natsUrl).port : '4222';
    const natsServer = pidsNamed('nats-server', natsPort)[0] ?? pidsNamed('nats-server')[0];
    const url = `${topology.urls.gateway}/v2/models/${MODEL}/infer`;
    const predictors = (): ServiceProcess[] => [topology.service(`predictor-${MODEL}`), ...extra];
    const scaleTo = async (replicas: number): Promise<void> => {
      while (predictors().length < replicas) {
        const opsPort = await findFreePort();
        const replica = startApp(
          'predictor',
          { name: `predictor-${MODEL}-${predictors().length + 1}`, env: { MODEL_NAME: MODEL, MODELS_DIR: modelsDir(), NATS_URL: natsUrl ?? 'nats://127.0.0.1:4222', OPS_PORT: String(opsPort), HTTP_PORT: undefined } },
          { output: false },
        );
        extra.push(replica);
        await replica.waitUntilReady(opsReadiness(opsPort), { timeoutMs: 60_000 });
      }
      while (predictors().length > replicas) await extra.pop()?.stop();
      // The gateway sees a new or gone replica through NATS itself (queue group): no discovery wait.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    };
    for (const replicas of [1, 2, 3, 3, 2, 1]) {
      await scaleTo(replicas);
      process.stdout.write(`${replicas} replica(s), concurrency ${concurrency}, ${durationMs} ms… `);
      const processes: Record<string, number | undefined> = { gateway: topology.service('gateway').pid, 'nats-server': natsServer };
      predictors().forEach((replica, index) => (processes[`predictor-${index + 1}`] = replica.pid));
      const started = performance.now();
      const { result, cpuMs } = await measureCpu(processes, () => runLoad({ url, body, concurrency, durationMs, warmupMs }));
      const wallMs = performance.now() - started;
      // The CPU counters span the whole run, warm-up included, so they are divided by the requests
      // of the whole run (at the measured rate), not by the measured window's alone.
      const requestsInRun = Math.max(1, (result.requestsPerSecond * wallMs) / 1000);
      const cpuUs: Record<string, number> = {};
      let predictorMs = 0;
      for (const [name, ms] of Object.entries(cpuMs)) {
        const key = name.startsWith('predictor-') ? 'predictor' : name;
        if (key === 'predictor') predictorMs += ms;
        cpuUs[key] = (cpuUs[key] ?? 0) + (ms * 1000) / requestsInRun;
      }
      const coresUsed = Object.values(cpuMs).reduce((sum, ms) => sum + ms, 0) / wallMs;
      // What an HPA sees: the CPU of one replica.
      const coresPerReplica = predictorMs / wallMs / replicas;
      console.log(`${result.requestsPerSecond} req/s, ${coresUsed.toFixed(2)} cores (${coresPerReplica.toFixed(3)} per predictor); CPU µs/request ${JSON.stringify(round(cpuUs))}`);
      steps.push({ replicas, result, cpuUs: round(cpuUs), coresUsed: Number(coresUsed.toFixed(3)), coresPerReplica: Number(coresPerReplica.toFixed(3)) });
    }
  } finally {
    await Promise.all(extra.map((replica) => replica.stop()));
    await topology.stop();
    await infra.stop();
  }

  const byReplicas = [1, 2, 3].map((replicas) => {
    const pair = steps.filter((step) => step.replicas === replicas);
    const mean = (pick: (step: Step) => number): number => pair.reduce((sum, step) => sum + pick(step), 0) / pair.length;
    const names = Object.keys(pair[0]!.cpuUs);
    return {
      replicas,
      rps: Math.round(mean((step) => step.result.requestsPerSecond)),
      p50Ms: Number(mean((step) => step.result.latencyMs.p50).toFixed(3)),
      coresUsed: Number(mean((step) => step.coresUsed).toFixed(3)),
      coresPerReplica: Number(mean((step) => step.coresPerReplica).toFixed(3)),
      cpuUs: Object.fromEntries(names.map((name) => [name, Math.round(mean((step) => step.cpuUs[name] ?? 0))])),
    };
  });
  const base = byReplicas[0]!;
  const model: CapacityModel = { cpuUs: base.cpuUs, coresAvailable: base.coresUsed };
  const rows = byReplicas.map((measured) => {
    const predicted = predictThroughput(model, measured.replicas);
    return { ...measured, predictedRps: predicted.rps, binds: predicted.binds, errorPercent: Number((((predicted.rps - measured.rps) / measured.rps) * 100).toFixed(1)) };
  });
  console.log('\nreplicas  measured req/s  predicted req/s  error   p50 ms  cores  cores/replica  predictor µs/req  binds');
  for (const row of rows) {
    console.log(
      `${String(row.replicas).padStart(8)}  ${String(row.rps).padStart(14)}  ${String(row.predictedRps).padStart(15)}  ${`${row.errorPercent}%`.padStart(6)}  ${row.p50Ms.toFixed(2).padStart(6)}  ${row.coresUsed.toFixed(2).padStart(5)}  ${row.coresPerReplica.toFixed(3).padStart(13)}  ${String(row.cpuUs['predictor']).padStart(16)}  ${row.binds}`,
    );
  }
  console.log(`\nCPU µs per request (1 replica): ${JSON.stringify(base.cpuUs)}`);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'capacity', { durationMs, warmupMs, concurrency, model: MODEL, steps, rows, fittedOn: 1 });
  console.log(`\nresults: ${path}`);
}

function round(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, Math.round(value)]));
}

await main();
