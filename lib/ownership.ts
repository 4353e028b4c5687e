import type { Backend } from './backends/backend.js';

// How many open caches use each backend. A backend may be shared (one MemoryBackend under two
// namespaces, one Redis connection under several caches); closing one cache must neither empty
// nor disconnect it under the others, so the last cache to close closes it, whoever built it.
const users = new WeakMap<Backend, number>();

/** Counts one more open cache over `backend`. */
export function holdBackend(backend: Backend): void {
  users.set(backend, (users.get(backend) ?? 0) + 1);
}

/** Counts one cache over `backend` closed; closes the backend when it was the last. */
export async function releaseBackend(backend: Backend): Promise<void> {
  const left = (users.get(backend) ?? 1) - 1;
  if (left > 0) {
    users.set(backend, left);
    return;
  }
  users.delete(backend);
  await backend.close();
}
