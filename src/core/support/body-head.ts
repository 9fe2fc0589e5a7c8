// Reading the start of a response body without reading all of it: an error body is classified from
// its first bytes (Kimi's are small JSON) and, when it must go on untouched, handed on whole (the
// bytes read, then the unread rest) without ever being held in memory at once (issue 8 F12).

export interface BodyHead {
  /** Up to `max` bytes (a little more when the last chunk crosses the limit). */
  head: Uint8Array<ArrayBuffer>;
  /**
   * Set only when the body is longer than `head`: the WHOLE body again (head, then the unread
   * rest) as one stream. Cancel it when the body is not passed on.
   */
  rest?: ReadableStream<Uint8Array>;
}

export async function readHead(response: Response, max: number): Promise<BodyHead> {
  const reader = response.body?.getReader();
  if (!reader) return { head: new Uint8Array(0) };
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) return { head: concat(chunks, size) };
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    return { head: concat(chunks, size) };
  }
  const head = concat(chunks, size);
  let sentHead = false;
  const rest = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      if (!sentHead) {
        sentHead = true;
        controller.enqueue(head);
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { head, rest };
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
