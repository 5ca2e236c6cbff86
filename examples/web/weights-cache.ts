// The pretrained weights' bytes cached in IndexedDB, keyed by their sha256: the first visit fetches ~20 MB, later
// ones read them locally (and a new release, with a new hash, is fetched again).
const DB = 'masr-net-demo';
const STORE = 'weights';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function run<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const req = f(db.transaction(STORE, mode).objectStore(STORE));
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      }).finally(() => db.close()),
  );
}

export async function cachedWeights(sha256: string): Promise<Uint8Array | undefined> {
  const value = await run<unknown>('readonly', (s) => s.get(sha256));
  return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined;
}

export async function cacheWeights(sha256: string, bytes: Uint8Array): Promise<void> {
  const copy = bytes.slice().buffer;
  await run('readwrite', (s) => s.put(copy, sha256));
}

export async function clearWeights(): Promise<void> {
  await run('readwrite', (s) => s.clear());
}
