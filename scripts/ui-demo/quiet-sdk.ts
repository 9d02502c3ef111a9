// The official SDK logs every invocation at INFO and every retried failure with its stack; the demo's
// failures are on purpose. Set before the SDK loads (imported first).
process.env["RESTATE_LOGGING"] ??= "ERROR";
export {};
