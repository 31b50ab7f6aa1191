/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

/**
 * The events of an SSE body: blocks with an `event:` line, their `id:` and JSON `data:`;
 * `retry:` and comment blocks are left out, as EventSource leaves them out.
 */
export function parseEvents(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .map((block) => ({
      id: /^id: (.*)$/m.exec(block)?.[1],
      event: /^event: (.*)$/m.exec(block)?.[1],
      data: /^data: (.*)$/m.exec(block)?.[1],
    }))
    .filter((block): block is { id: string | undefined; event: string; data: string | undefined } => block.event !== undefined)
    .map(({ id, event, data }) => ({ ...(id === undefined ? {} : { id }), event, data: JSON.parse(data ?? 'null') as unknown }));
}

/**
 * Opens an event stream and reads it until `enough` holds for the events so far (or it ends),
 * then hangs up, as a client that goes away mid-stream would. `lastEventId` resumes a stream.
 */
export async function readEventsUntil(
  url: string,
  enough: (events: SseEvent[]) => boolean,
  options: { lastEventId?: string; timeoutMs?: number } = {},
): Promise<{ status: number; events: SseEvent[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
  try {
    const response = await fetch(url, {
      headers: options.lastEventId === undefined ? {} : { 'last-event-id': options.lastEventId },
      signal: controller.signal,
    });
    if (response.status !== 200 || !response.body) return { status: response.status, events: [] };
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of response.body) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      const events = parseEvents(text.slice(0, text.lastIndexOf('\n\n') + 2));
      if (enough(events)) return { status: 200, events };
    }
    return { status: 200, events: parseEvents(text) };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
