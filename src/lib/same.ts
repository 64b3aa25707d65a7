/**
 * `Same<A, B>`: true when two types hold the same fields, deeply, with the same
 * optionality: a field one side has and the other lacks (even an optional one) makes
 * it false, which plain assignability lets through. For compile-time checks such as
 * `const ok: Same<View, z.output<typeof Schema>> = true`.
 */
type Plain<T> = T extends readonly (infer Item)[] ? Plain<Item>[] : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;

export type Same<A, B> = (<T>() => T extends Plain<A> ? 1 : 2) extends <T>() => T extends Plain<B> ? 1 : 2 ? true : false;
