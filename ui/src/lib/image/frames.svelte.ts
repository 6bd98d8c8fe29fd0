// Frames of one series, fetched one at a time (the backend serves one request at a time)
// and kept for the item: the frame asked for first, then the next ones ahead of the cursor
// in the direction of travel, then the rest in the background.
import type { ImageInfo } from '../api/types';

/** Fetches one frame's bytes (little-endian 16-bit stored values, or RGBA for colour). */
export type FrameFetcher = (frame: number) => Promise<ArrayBuffer>;

/** How far ahead of the cursor frames are fetched first. */
export const AHEAD = 8;

/** The frames of one series, with a reactive count of those loaded. */
export class FrameStore {
  readonly info: ImageInfo;
  /** Frames loaded so far (for the slider's progress bar). */
  loaded = $state(0);
  /** The last fetch error, one sentence. */
  error = $state<string | null>(null);
  private readonly frames = new Map<number, Uint16Array>();
  private readonly waiting = new Map<number, ((f: Uint16Array) => void)[]>();
  private readonly fetcher: FrameFetcher;
  private cursor = 0;
  private direction = 1;
  private busy = false;
  private closed = false;

  constructor(info: ImageInfo, fetcher: FrameFetcher) {
    this.info = info;
    this.fetcher = fetcher;
  }

  /** The frame if loaded. */
  get(frame: number): Uint16Array | undefined {
    return this.frames.get(frame);
  }

  /** Moves the cursor (fetching starts there); resolves with the frame once loaded. */
  request(frame: number): Promise<Uint16Array> {
    this.direction = frame >= this.cursor ? 1 : -1;
    this.cursor = frame;
    const have = this.frames.get(frame);
    if (have) {
      void this.pump();
      return Promise.resolve(have);
    }
    return new Promise((resolve) => {
      this.waiting.set(frame, [...(this.waiting.get(frame) ?? []), resolve]);
      void this.pump();
    });
  }

  /** Stops background fetching (the item was closed). */
  close(): void {
    this.closed = true;
  }

  /** The next frame to fetch: the cursor, then ahead of it, then behind, then the rest. */
  next(): number | null {
    const n = this.info.frames;
    const order: number[] = [this.cursor];
    for (let k = 1; k <= AHEAD; k++) order.push(this.cursor + this.direction * k);
    for (let k = 1; k < n; k++) order.push(this.cursor + this.direction * (AHEAD + k), this.cursor - this.direction * k);
    for (const f of order) if (f >= 0 && f < n && !this.frames.has(f)) return f;
    return null;
  }

  private async pump(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      for (let f = this.next(); f !== null && !this.closed; f = this.next()) {
        const buf = await this.fetcher(f);
        const samples = new Uint16Array(buf);
        this.frames.set(f, samples);
        this.loaded = this.frames.size;
        for (const resolve of this.waiting.get(f) ?? []) resolve(samples);
        this.waiting.delete(f);
      }
    } catch (e) {
      this.error = (e as { message?: string }).message ?? 'This frame could not be loaded.';
    } finally {
      this.busy = false;
    }
  }
}
