/**
 * Runs `load` once, on first use; concurrent first calls share the same promise.
 * A failed load is forgotten so that a later call can try again (e.g. after the model files appear).
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    if (!pending) {
      pending = load();
      pending.catch(() => {
        pending = null;
      });
    }
    return pending;
  };
}
