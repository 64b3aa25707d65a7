/**
 * Capabilities kept from read-only readers. A webhook token is a capability: whoever
 * holds it may deliver events. A view for read-only access replaces every token this
 * instance minted, wherever it shows (the `step.webhook` result, a URL the workflow
 * passed on to a step or returned), with `[redacted]`.
 */
export const REDACTED = "[redacted]";

/** `value` with each of `tokens` replaced, in every string it holds. */
export function redactTokens<T>(value: T, tokens: readonly string[]): T {
  if (tokens.length === 0) return value;
  let text = JSON.stringify(value);
  if (text === undefined) return value;
  // Tokens are base64url with one dot: nothing JSON escapes, so they appear verbatim in the text.
  for (const token of tokens) text = text.replaceAll(token, REDACTED);
  return JSON.parse(text) as T;
}

/** The same for a text (a page of the journal export). */
export function redactText(text: string, tokens: readonly string[]): string {
  for (const token of tokens) text = text.replaceAll(token, REDACTED);
  return text;
}
