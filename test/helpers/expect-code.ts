import { expect } from "vitest";
import { ProtocolError } from "../../protocol/index.js";

/**
 * Runs `fn`, expecting it to throw a ProtocolError with `code` (and `status`, when given); returns the
 * error for further checks.
 */
export function expectCode(fn: () => unknown, code: string, status?: number): ProtocolError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(code);
    if (status !== undefined) expect((error as ProtocolError).status).toBe(status);
    return error as ProtocolError;
  }
  throw new Error(`expected ${code}`);
}
