/**
 * `once(build)`: a function that builds its value on its first call and returns that
 * same value from then on. For what module load should not pay for: the API's zod
 * schemas are built by the first request that needs them, not by every fresh
 * isolate, which a Durable Object waking for an alarm starts as often as a request
 * does (`npm run bench -- --only startup` measures it).
 *
 *   export const Deleted = once(() => z.object({ id: z.string(), deleted: z.literal(true) }).meta({ id: "Deleted" }));
 *   json(Deleted(), "The instance is gone")
 *
 * The value lives as long as the isolate, as a module-level constant would: build only
 * what never changes (a zod schema does not), so objects sharing the isolate may share it.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
