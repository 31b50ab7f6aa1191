/**
 * Starts NATS requests in batches, once per event-loop turn: nats.js writes its outbound
 * buffer to the socket once per microtask checkpoint, and every HTTP request is handled in its
 * own callback, so without this each request costs one socket write (a syscall that wakes
 * nats-server; the largest cost of the hop under load). Deferring the start to `setImmediate`
 * lets every request that arrived in the same poll phase share one write. When idle the
 * delay is one loop turn (microseconds): it only accumulates while the process is busy.
 */
export class RequestBatcher {
  private queue: (() => void)[] = [];
  private scheduled = false;

  run<T>(start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try {
          start().then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.drain);
      }
    });
  }

  private readonly drain = (): void => {
    const queue = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (const start of queue) start();
  };
}
