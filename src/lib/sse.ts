/**
 * Reads a Server-Sent Events stream (the subscription format of
 * `GET /api/instances/:id/subscribe`) into its events, by the WHATWG rules: lines
 * end in LF, CRLF or CR; a blank line ends an event; `:` starts a comment; `data`
 * lines join with LF. Used where `EventSource` is not available (Workers, Node, the
 * typed client, which needs its own headers).
 */
export interface ServerSentEvent {
  id?: string;
  event?: string;
  data: string;
}

export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent, void, undefined> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let data: string[] = [];
  let id: string | undefined;
  let event: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      // The last piece may be a line cut in two.
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") {
          if (data.length > 0) yield { ...(id !== undefined && { id }), ...(event !== undefined && { event }), data: data.join("\n") };
          data = [];
          event = undefined;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let text = colon === -1 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "data") data.push(text);
        else if (field === "event") event = text;
        else if (field === "id" && !text.includes("\0")) id = text;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
