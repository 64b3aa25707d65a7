/**
 * workerd's inspector (Chrome DevTools Protocol) for the bench Worker's isolate, to
 * read the size of its JavaScript heap, or to send any command (a CPU profile:
 * bench/profile-cpu.mjs). (workerd does not answer
 * `HeapProfiler.collectGarbage`; the memory rung collects garbage with `gc()`
 * instead, exposed by V8's `--expose-gc`.)
 */

/** Opens a session on the bench Worker's isolate (`startHost(..., { inspectorPort })`). */
export async function inspect(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.id.startsWith("core:user:")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  let id = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (!msg.id || !pending.has(msg.id)) return;
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      pending.set(++id, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    /** Bytes of the isolate's JavaScript heap in use (garbage not yet collected included). */
    async heapUsed() {
      return (await send("Runtime.getHeapUsage")).usedSize;
    },
    close: () => ws.close(),
  };
}
