import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Resource<T> {
  /** The last value loaded; kept while a refresh runs or after one fails, so the page does not flicker. */
  readonly data: T | undefined;
  /** The last failure, cleared by the next success. */
  readonly error: unknown;
  readonly loading: boolean;
  /** When `data` was last loaded. */
  readonly loadedAt: Date | undefined;
  readonly reload: () => void;
}

/**
 * Loads `load()` now, again whenever `key` changes, on `reload()`, and every `refreshMs` while given
 * (one request at a time: the next waits for the previous to end). Answers that arrive after a newer
 * request started are dropped, so a slow old answer cannot overwrite a new one.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, key: string, refreshMs?: number): Resource<T> {
  const [state, setState] = useState<{ key: string; data: T | undefined; error: unknown; loading: boolean; loadedAt: Date | undefined }>({
    key,
    data: undefined,
    error: undefined,
    loading: true,
    loadedAt: undefined,
  });
  const [nudge, setNudge] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      setState((s) => (s.key === key ? { ...s, loading: true } : { key, data: undefined, error: undefined, loading: true, loadedAt: undefined }));
      try {
        const data = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setState({ key, data, error: undefined, loading: false, loadedAt: new Date() });
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((s) => (s.key === key ? { ...s, error, loading: false } : { key, data: undefined, error, loading: false, loadedAt: undefined }));
      }
      if (refreshMs !== undefined) timer = setTimeout(() => void run(), refreshMs);
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [key, nudge, refreshMs]);

  const reload = useCallback(() => setNudge((n) => n + 1), []);
  // Data of another key is never shown for this one, not even for the one render before the new load starts.
  if (state.key !== key) return { data: undefined, error: undefined, loading: true, loadedAt: undefined, reload };
  return { data: state.data, error: state.error, loading: state.loading, loadedAt: state.loadedAt, reload };
}
