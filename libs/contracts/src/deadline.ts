/** Deadlines are absolute epoch milliseconds so they survive hops without clock-relative drift. */
export function deadlineIn(timeoutMs: number, now: number = Date.now()): number {
  return now + timeoutMs;
}

/** Milliseconds left before the deadline; 0 or less means it has passed. */
export function remainingMs(deadline: number, now: number = Date.now()): number {
  return deadline - now;
}

/** Parses a deadline header; undefined when missing or not a positive integer. */
export function parseDeadline(value: string | undefined | null): number | undefined {
  if (!value) return undefined;
  const deadline = Number(value);
  return Number.isSafeInteger(deadline) && deadline > 0 ? deadline : undefined;
}
