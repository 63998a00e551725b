/** A small cache of immutable values for activities. */

/**
 * Insertion-ordered cache with a size bound (contexts are immutable: keyed by content).
 *
 * Keeps values, not promises, once loaded: a promise made inside an activity carries that
 * activity's async-local context (its Activity object, logger, abort signals...), so caching
 * the promise kept about 25 KB per prompt alive (found with heap snapshots, bench/scale.ts).
 */
export class BoundedCache<T> {
  private readonly values = new Map<string, T>();
  private readonly loading = new Map<string, Promise<T>>();
  constructor(private readonly max: number) {}

  async getOr(key: string, load: () => Promise<T>): Promise<T> {
    if (this.values.has(key)) return this.values.get(key)!;
    let p = this.loading.get(key);
    if (!p) {
      p = load();
      this.loading.set(key, p);
      p.then(
        (value) => {
          this.loading.delete(key);
          this.values.set(key, value);
          if (this.values.size > this.max) this.values.delete(this.values.keys().next().value!);
        },
        () => this.loading.delete(key),
      );
    }
    return p;
  }
}
