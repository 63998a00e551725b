/** Recently used texts by key (texts named by their hash never change), least recently used dropped first, bounded by total characters. */
export class RecentTexts {
  private readonly texts = new Map<string, string>();
  private size = 0;
  constructor(private readonly maxChars: number) {}

  has(key: string): boolean {
    return this.texts.has(key);
  }

  get(key: string): string | undefined {
    const text = this.texts.get(key);
    if (text !== undefined) {
      this.texts.delete(key); // re-insert: most recently used last
      this.texts.set(key, text);
    }
    return text;
  }

  add(key: string, text: string): void {
    if (text.length > this.maxChars / 16 || this.texts.has(key)) return;
    this.texts.set(key, text);
    this.size += text.length;
    for (const [k, t] of this.texts) {
      if (this.size <= this.maxChars) break;
      this.texts.delete(k);
      this.size -= t.length;
    }
  }
}
