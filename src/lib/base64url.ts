/**
 * base64url (RFC 4648 §5) without padding, for tokens, cookies and cursors.
 * `fromBase64url` accepts one spelling per byte string only: the canonical one,
 * whose spare low bits in the last character are zero. Anything else is refused,
 * so that a signed token cannot be presented in several spellings.
 */

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The bytes of canonical base64url text, or undefined for anything else. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  let binary: string;
  try {
    binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Spare bits set in the last character decode to the same bytes: only the canonical spelling passes.
  return base64url(bytes) === text ? bytes : undefined;
}
