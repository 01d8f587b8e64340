/**
 * Server-Sent Events over fetch (not EventSource, which cannot send the access token). Reconnects
 * after a drop; `onOpen` runs on every (re)connect so the caller can refetch what it missed.
 */
import type { JobEvent } from '../../src/api/schemas/responses.ts';
import { authHeaders } from './api.ts';

export function streamEvents(path: string, onEvent: (e: JobEvent) => void, onOpen: () => void = () => undefined): () => void {
  const controller = new AbortController();
  void (async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await fetch(`api${path}`, { headers: authHeaders(), signal: controller.signal });
        if (res.ok && res.body) {
          onOpen();
          await readEvents(res.body, onEvent);
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  return () => controller.abort();
}

async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (e: JobEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (data) onEvent(JSON.parse(data) as JobEvent);
    }
  }
}
