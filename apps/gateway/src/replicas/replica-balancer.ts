import { Inject, Injectable, Optional } from '@nestjs/common';
import { ErrorCode, MspError } from '@msp/contracts';
import { isNoResponders } from '@msp/messaging';
import { LOGGER, Metrics, type Logger } from '@msp/telemetry';
import { ModelRegistry, type Replica } from '../discovery/model-registry.service.js';
import { OUTLIER_OPTIONS, type OutlierOptions } from './outlier.options.js';

/** What the gateway knows of one replica from the answers it got (kept as long as discovery keeps the replica). */
interface ReplicaHealth {
  inFlight: number;
  /** Attempts in a row unanswered for `attemptTimeoutMs` while the replica answered nothing else either. */
  timeouts: number;
  /** When it last answered anything, an error too (epoch ms). */
  answeredAt: number;
  /** When it was ejected; undefined while it takes work. */
  ejectedAt: number | undefined;
  ejectionMs: number;
  /** Ejections in a row, each less than `maxEjectionMs` after it was taken back. */
  ejections: number;
  readmittedAt: number;
  /** Ejected because nobody listened on its subject (its process gone), not for silence. */
  gone: boolean;
}

function answered(health: ReplicaHealth): void {
  health.timeouts = 0;
  health.answeredAt = Date.now();
}

/** No answer from the replica itself: the deadline passed, or nobody listens on its subject. */
function isSilence(error: unknown): boolean {
  return (MspError.is(error) && error.code === ErrorCode.DeadlineExceeded) || isNoResponders(error);
}

/** The replicas one request has been sent to, so a re-sent try (a hedge) goes to another. One set per request. */
export type TriedReplicas = Set<string>;

/** Ranks a replica already tried by this request after every untried one. */
const TRIED = 1_000_000_000;

/**
 * Sends a model's requests to the replica the gateway picks, not to the queue group: the one with
 * the fewest requests in flight (ties at random), another than the request's earlier tries. A
 * queue group goes on handing a wedged replica (SIGSTOP, a blocked event loop: its socket open, its
 * subscription alive) its share, because nats-server 2.9 pings only quiet connections; here:
 *
 * - a wedged replica piles up requests in flight, so least-outstanding stops choosing it at once;
 * - `consecutiveTimeouts` attempts in a row unanswered for `attemptTimeoutMs`, while it answered
 *   nothing else either, eject it (Envoy's outlier ejection), for `baseEjectionMs` × its
 *   ejections in a row (up to `maxEjectionMs`), never more than `maxEjectionPercent` of a
 *   subject's replicas and never the last one (one of two always may go);
 * - it takes work again once that time has passed and it has answered a discovery round that
 *   started after it (a heartbeat: a replica still wedged cannot answer one);
 * - a replica whose subject has no listener ("no responders": SIGKILL, a model swapped in place)
 *   is ejected at once and the request goes to the next replica without waiting.
 *
 * The request on an unanswered replica is not cancelled: it may still answer (slow, not dead),
 * and the hedger (ModelGuard) has meanwhile re-sent it to another replica. Re-sending is safe
 * because inference is a pure function of its input: a duplicate costs CPU, never a wrong answer.
 * Subjects whose replicas discovery does not know one by one (none found yet, an older predictor)
 * go to the queue group as before.
 */
@Injectable()
export class ReplicaBalancer {
  private readonly health = new WeakMap<Replica, ReplicaHealth>();

  constructor(
    private readonly registry: ModelRegistry,
    @Inject(OUTLIER_OPTIONS) private readonly options: OutlierOptions,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /** `call` with the subject of the replica picked for `subject`, or with `subject` itself (its queue group). */
  async send<T>(subject: string, tried: TriedReplicas, call: (subject: string) => Promise<T>): Promise<T> {
    for (;;) {
      const replica = this.options.balancing === 'least-outstanding' ? this.pick(subject, tried) : undefined;
      if (!replica) return call(subject);
      tried.add(replica.id);
      try {
        return await this.attempt(subject, replica, call);
      } catch (error) {
        if (!isNoResponders(error)) throw error;
        // Nobody listens on its subject any more: the next replica, at once.
        this.gone(replica);
      }
    }
  }

  private async attempt<T>(subject: string, replica: Replica, call: (subject: string) => Promise<T>): Promise<T> {
    const health = this.healthOf(replica);
    health.inFlight += 1;
    const sentAt = Date.now();
    // Judged after the I/O of the loop turn (setImmediate): when the gateway's own event loop was
    // blocked past the timeout, answers that arrived meanwhile are read before silence is counted.
    const timer =
      this.options.consecutiveTimeouts > 0
        ? setTimeout(() => setImmediate(() => this.unanswered(subject, replica, health, sentAt)), this.options.attemptTimeoutMs)
        : undefined;
    timer?.unref();
    try {
      const result = await call(replica.subject);
      answered(health);
      return result;
    } catch (error) {
      // Any answer, an error too, shows it alive; a deadline overrun or nobody listening does not.
      if (!isSilence(error)) answered(health);
      throw error;
    } finally {
      clearTimeout(timer);
      health.inFlight -= 1;
    }
  }

  private pick(subject: string, tried: TriedReplicas): Replica | undefined {
    const replicas = this.registry.replicasFor(subject);
    if (replicas.length === 0) return undefined;
    const now = Date.now();
    let best: Replica | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    let ties = 0;
    for (const replica of replicas) {
      const health = this.healthOf(replica);
      if (!this.admitted(replica, health, now)) continue;
      const load = health.inFlight + (tried.has(replica.id) ? TRIED : 0);
      if (load < bestLoad) {
        best = replica;
        bestLoad = load;
        ties = 1;
      } else if (load === bestLoad && Math.random() * ++ties < 1) {
        best = replica;
      }
    }
    return best;
  }

  private admitted(replica: Replica, health: ReplicaHealth, now: number): boolean {
    if (health.ejectedAt === undefined) return true;
    const until = health.ejectedAt + health.ejectionMs;
    if (now < until || replica.seenAt < until) return false;
    health.ejectedAt = undefined;
    health.timeouts = 0;
    health.readmittedAt = now;
    health.gone = false;
    this.logger.info({ model: replica.model, replica: replica.id }, 'replica readmitted: it answered discovery after its ejection');
    this.metrics?.replicaOutlier(replica.model, 'readmitted');
    return true;
  }

  /**
   * An attempt sent at `sentAt` has had no answer for `attemptTimeoutMs`. It counts only if the
   * replica has answered nothing at all since: one that answers other requests is busy or slow,
   * not wedged, and least-outstanding already sends it less (no ejection flapping under overload).
   */
  private unanswered(subject: string, replica: Replica, health: ReplicaHealth, sentAt: number): void {
    if (health.answeredAt >= sentAt) return;
    health.timeouts += 1;
    if (health.ejectedAt !== undefined || health.timeouts < this.options.consecutiveTimeouts || !this.mayEject(subject)) return;
    const now = Date.now();
    health.ejections = now - health.readmittedAt < this.options.maxEjectionMs ? health.ejections + 1 : 1;
    health.ejectionMs = Math.min(this.options.maxEjectionMs, this.options.baseEjectionMs * health.ejections);
    health.ejectedAt = now;
    this.logger.warn(
      { model: replica.model, replica: replica.id, unanswered: health.timeouts, inFlight: health.inFlight, ejectionMs: health.ejectionMs },
      `replica ejected: ${health.timeouts} requests in a row unanswered for ${this.options.attemptTimeoutMs} ms`,
    );
    this.metrics?.replicaOutlier(replica.model, 'ejected');
  }

  private gone(replica: Replica): void {
    const health = this.healthOf(replica);
    if (health.ejectedAt !== undefined) return;
    health.gone = true;
    health.ejectedAt = Date.now();
    health.ejectionMs = this.options.baseEjectionMs;
    this.logger.info({ model: replica.model, replica: replica.id }, 'replica gone: nobody listens on its subject');
    this.metrics?.replicaOutlier(replica.model, 'gone');
  }

  /** At most `maxEjectionPercent` of the subject's live replicas out for silence, and never its last one. */
  private mayEject(subject: string): boolean {
    const live = this.registry.replicasFor(subject).filter((replica) => !this.healthOf(replica).gone);
    const ejected = live.filter((replica) => this.healthOf(replica).ejectedAt !== undefined).length;
    const allowed = Math.max(1, Math.floor((live.length * this.options.maxEjectionPercent) / 100));
    return ejected < Math.min(allowed, live.length - 1);
  }

  private healthOf(replica: Replica): ReplicaHealth {
    let health = this.health.get(replica);
    if (!health) {
      health = { inFlight: 0, timeouts: 0, answeredAt: 0, ejectedAt: undefined, ejectionMs: 0, ejections: 0, readmittedAt: Number.NEGATIVE_INFINITY, gone: false };
      this.health.set(replica, health);
    }
    return health;
  }
}
