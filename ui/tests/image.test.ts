import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../src/lib/api/mockBackend';
import type { AnnotationValue, BoxLabel, ImageInfo, SchemaDto } from '../src/lib/api/types';
import { FrameStore } from '../src/lib/image/frames.svelte';
import { applyEdit, boxFrom, boxStates, hitTest, iou, pairIou, polygonArea, polygonFrom, regionKind, regionRows, takeRegion } from '../src/lib/image/shapes';
import { viewerAction } from '../src/lib/image/viewerKeys';
import { PRESETS, buildLut, dragWindow, greyOf, paint, windowText } from '../src/lib/image/wl';
import { boot } from './helpers';

const CT: ImageInfo = { ...MockBackend.MOCK_IMAGE };
const empty = (): AnnotationValue => ({ spans: [], labels: [], boxes: [], polygons: [] });
const box = (x: number, y: number, w: number, h: number, label = 'Lesion', frame = 0): BoxLabel => ({ x, y, w, h, label, frame });
const key = (k: string, code: string, extra: Partial<KeyboardEventInit> = {}) => new KeyboardEvent('keydown', { key: k, code, ...extra });

describe('window/level mapping', () => {
  it('maps the window linearly and clamps outside it', () => {
    const w = { center: 40, width: 400 };
    expect(greyOf(-1000, w)).toBe(0);
    expect(greyOf(3000, w)).toBe(255);
    expect(greyOf(40, w)).toBeGreaterThanOrEqual(127);
    expect(greyOf(40, w)).toBeLessThanOrEqual(128);
    expect(greyOf(-160, w)).toBe(0);
    expect(greyOf(240, w)).toBe(255);
  });

  it('builds the lookup over stored values with rescale and sign, and inverts', () => {
    const lut = buildLut(CT, { center: 40, width: 400 }, false);
    // Stored 1064 = 40 HU (intercept -1024): mid grey. Stored 24 = -1000 HU: black.
    expect(lut[1064]).toBeGreaterThan(120);
    expect(lut[1064]).toBeLessThan(135);
    expect(lut[24]).toBe(0);
    // Negative stored values (i16 bit patterns) are very low: black.
    expect(lut[0xffff]).toBe(0);
    const inv = buildLut(CT, { center: 40, width: 400 }, true);
    expect(inv[24]).toBe(255);
    const mono1 = buildLut({ ...CT, inverted: true }, { center: 40, width: 400 }, false);
    expect(mono1[24]).toBe(255);
  });

  it('paints grey RGBA, drags the window and names the presets of UX.md', () => {
    const out = new Uint8ClampedArray(8);
    const lut = new Uint8Array(65536);
    lut[7] = 99;
    paint(new Uint16Array([7, 0]), lut, out);
    expect([...out]).toEqual([99, 99, 99, 255, 0, 0, 0, 255]);
    const w = dragWindow({ center: 40, width: 400 }, 512, -512, 512);
    expect(w).toEqual({ center: -472, width: 912 });
    expect(dragWindow({ center: 0, width: 5 }, -5000, 0, 512).width).toBe(1);
    expect(PRESETS.map((p) => `${p.width}/${p.center}`)).toEqual(['400/40', '1500/-600', '150/90', '2500/480', '80/40']);
    expect(windowText({ center: -600.4, width: 1500 })).toBe('W 1500 L -600');
  });
});

describe('shape editing', () => {
  const size = { width: 64, height: 48 };

  it('makes boxes from two corners, clipped, and refuses ones with no area', () => {
    expect(boxFrom([10, 20], [4, 2], size, 'Lesion', 3)).toEqual(box(4, 2, 6, 18, 'Lesion', 3));
    expect(boxFrom([60, 40], [90, 90], size, 'Lesion', 0)).toEqual(box(60, 40, 4, 8));
    expect(boxFrom([5, 5], [5.5, 30], size, 'Lesion', 0)).toBeNull();
  });

  it('adds, moves inside the image, relabels and deletes without changing its input', () => {
    const v0 = empty();
    const v1 = applyEdit(v0, { type: 'add_box', box: box(50, 40, 10, 5) }, size);
    expect(v0.boxes).toHaveLength(0);
    const moved = applyEdit(v1, { type: 'move', ref: { kind: 'box', index: 0 }, dx: 30, dy: -100 }, size);
    expect(moved.boxes[0]).toEqual(box(54, 0, 10, 5));
    const relabelled = applyEdit(moved, { type: 'relabel', ref: { kind: 'box', index: 0 }, label: 'Cyst' }, size);
    expect(relabelled.boxes[0]!.label).toBe('Cyst');
    expect(applyEdit(relabelled, { type: 'delete', ref: { kind: 'box', index: 0 } }, size).boxes).toHaveLength(0);
  });

  it('closes polygons with area only, moves them inside, and hit-tests per frame', () => {
    expect(polygonFrom([[1, 1], [5, 1]], size, 'L', 0)).toBeNull();
    expect(polygonFrom([[1, 1], [5, 5], [9, 9]], size, 'L', 0)).toBeNull();
    const p = polygonFrom([[10, 10], [20, 10], [15, 20]], size, 'L', 2)!;
    const v = applyEdit(empty(), { type: 'add_polygon', polygon: p }, size);
    const far = applyEdit(v, { type: 'move', ref: { kind: 'polygon', index: 0 }, dx: 100, dy: 0 }, size);
    expect(Math.max(...far.polygons[0]!.points.map((q) => q[0]))).toBe(64);
    expect(hitTest(v, 2, 15, 12)).toEqual({ kind: 'polygon', index: 0 });
    expect(hitTest(v, 1, 15, 12)).toBeNull();
    const withBox = applyEdit(v, { type: 'add_box', box: box(30, 30, 5, 5, 'L', 2) }, size);
    expect(hitTest(withBox, 2, 31, 31)).toEqual({ kind: 'box', index: 0 });
  });

  it('compares boxes by IoU as the server does: agree, conflict, boundary, missing', () => {
    expect(iou(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 0, 10, 10), box(5, 0, 10, 10))).toBeCloseTo(1 / 3);
    expect(iou(box(0, 0, 10, 10), box(0, 0, 10, 10, 'Lesion', 1))).toBe(0);
    const a = [box(0, 0, 10, 10), box(20, 20, 10, 10), box(40, 0, 10, 10), box(0, 30, 5, 5)];
    const b = [box(1, 0, 10, 10), box(20, 20, 10, 10, 'Cyst'), box(46, 0, 10, 10)];
    expect(boxStates(a, [b])).toEqual(['agree', 'conflict', 'boundary', 'missing']);
    expect(pairIou([box(0, 0, 10, 10)], [box(0, 0, 10, 10)])).toBe(1);
    expect(pairIou([], [])).toBeNull();
  });

  it('lists and takes boxes or polygons for review by the task kind', () => {
    expect([regionKind('image_boxes'), regionKind('image_polygons'), regionKind('text_spans')]).toEqual(['box', 'polygon', null]);
    const l: [number, number][] = [[0, 0], [10, 0], [10, 5], [5, 5], [5, 10], [0, 10]];
    expect(polygonArea(l)).toBe(75);
    expect(polygonArea([...l].reverse())).toBe(75);
    const theirs: AnnotationValue = { ...empty(), polygons: [{ points: l, label: 'Lesion', frame: 2 }] };
    expect(regionRows(theirs, 'polygon')).toEqual([{ ref: { kind: 'polygon', index: 0 }, label: 'Lesion', frame: 2, size: '6 points · area 75 px²' }]);
    expect(regionRows({ ...empty(), boxes: [box(1, 2, 3, 4)] }, 'box')[0]!.size).toBe('3×4 at 1, 2');
    const gold = takeRegion(empty(), theirs, { kind: 'polygon', index: 0 });
    expect(gold.polygons).toEqual(theirs.polygons);
    gold.polygons[0]!.points[0]![0] = 99;
    expect(theirs.polygons[0]!.points[0]![0]).toBe(0);
    expect(takeRegion(gold, theirs, { kind: 'polygon', index: 5 })).toBe(gold);
    expect(takeRegion(empty(), { ...empty(), boxes: [box(1, 2, 3, 4)] }, { kind: 'box', index: 0 }).boxes).toEqual([box(1, 2, 3, 4)]);
  });
});

describe('viewer keys (DICOM scope)', () => {
  it('puts W/L presets on 1–5 and labels on shift+digits, on physical keys', () => {
    expect(viewerAction(key('2', 'Digit2'), false)).toEqual({ type: 'preset', index: 1 });
    expect(viewerAction(key('!', 'Digit1', { shiftKey: true }), false)).toEqual({ type: 'label', key: '1' });
    expect(viewerAction(key('8', 'Digit8'), false)).toBeNull();
  });

  it('maps tools, view keys, frames and Enter by drawing state', () => {
    expect(viewerAction(key('b', 'KeyB'), false)).toEqual({ type: 'tool', tool: 'box' });
    expect(viewerAction(key('P', 'KeyP', { shiftKey: true }), false)).toEqual({ type: 'tool', tool: 'polygon' });
    expect(viewerAction(key('v', 'KeyV'), false)).toEqual({ type: 'tool', tool: 'select' });
    expect(viewerAction(key('i', 'KeyI'), false)).toEqual({ type: 'invert' });
    expect(viewerAction(key(' ', 'Space'), false)).toEqual({ type: 'reset' });
    expect(viewerAction(key('=', 'Equal'), false)).toEqual({ type: 'fit' });
    expect(viewerAction(key('ArrowDown', 'ArrowDown'), false)).toEqual({ type: 'frame', delta: 1 });
    expect(viewerAction(key('ArrowRight', 'ArrowRight', { shiftKey: true }), false)).toEqual({ type: 'nudge', dx: 10 });
    expect(viewerAction(key('ArrowRight', 'ArrowRight', { altKey: true }), false)).toEqual({ type: 'next_item' });
    expect(viewerAction(key('Enter', 'Enter'), true)).toEqual({ type: 'close_polygon' });
    expect(viewerAction(key('Enter', 'Enter'), false)).toEqual({ type: 'submit' });
    expect(viewerAction(key('z', 'KeyZ', { ctrlKey: true }), true)).toEqual({ type: 'undo' });
    expect(viewerAction(key('c', 'KeyC', { ctrlKey: true }), false)).toBeNull();
    expect(viewerAction(key('c', 'KeyC'), false)).toEqual({ type: 'cine' });
    expect(viewerAction(key('H', 'KeyH', { shiftKey: true }), false)).toEqual({ type: 'hide' });
  });
});

describe('frame store', () => {
  it('fetches the asked frame first, then ahead of the cursor in the direction of travel', async () => {
    const asked: number[] = [];
    const store = new FrameStore({ ...CT, frames: 30 }, async (f) => {
      asked.push(f);
      return new Uint16Array([f]).buffer;
    });
    const f10 = await store.request(10);
    expect(f10[0]).toBe(10);
    await waitFor(() => expect(store.loaded).toBe(30));
    expect(asked.slice(0, 9)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18]);
    expect(new Set(asked).size).toBe(30);
  });
});

/** A released DICOM series under a published box (or polygon) schema, assigned to ari and noor. */
async function releasedImage(b: MockBackend, task: 'image_boxes' | 'image_polygons' = 'image_boxes'): Promise<SchemaDto> {
  b.signInAs('lena');
  await b.invoke('ingest_start', { request: { source: MockBackend.DEMO_SOURCE, manifest: null, bagit: false, csv_column: null, jsonl_field: null } });
  const [batch] = await b.invoke<{ id: string }[]>('list_batches');
  await b.invoke('decide_batch', { batchId: batch!.id, decision: 'release_verified', reason: null });
  await b.invoke('deid_run', { batchId: batch!.id });
  for (const q of await b.invoke<{ item_id: string }[]>('deid_queue', { batchId: batch!.id })) {
    await b.invoke('deid_validate', { itemId: q.item_id });
  }
  await b.invoke('deid_sign_off', { batchId: batch!.id });
  await b.invoke('add_user', { name: 'noor', role: 'annotator', passphrase: 'noor-initial-passphrase' });
  const schema = await b.invoke<SchemaDto>('schema_create', {
    input: { name: 'Lesions', task, body: { labels: [{ name: 'Lesion', key: null, color: null, description: null }, { name: 'Cyst', key: null, color: null, description: null }], multi: false }, guideline: 'Box lesions.' },
  });
  await b.invoke('schema_publish', { schemaId: schema.id });
  await b.invoke('assign', { request: { schema_id: schema.id, batch_id: null, annotators: ['ari', 'noor'], overlap: 2 } });
  return schema;
}

describe('image labelling against the fake backend', () => {
  // jsdom has no 2D canvas: the viewer then draws nothing, and everything else still runs.
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
  // Nor pointer events: mouse events with a pointer id stand in.
  if (!('PointerEvent' in window)) {
    class FakePointerEvent extends MouseEvent {
      pointerId: number;
      constructor(type: string, init: PointerEventInit = {}) {
        super(type, init);
        this.pointerId = init.pointerId ?? 1;
      }
    }
    Object.assign(window, { PointerEvent: FakePointerEvent });
  }

  it('assigns only the DICOM item, serves frames to its annotator only and refuses boxes outside', async () => {
    const b = MockBackend.withDemo();
    await releasedImage(b);
    b.signInAs('ari');
    const [q] = await b.invoke<{ assignment_id: string }[]>('my_queue');
    const v = await b.invoke<{ image: ImageInfo; text: string | null }>('open_assignment', { assignmentId: q!.assignment_id });
    expect(v.text).toBeNull();
    expect(v.image.frames).toBe(12);
    const buf = await b.invoke<ArrayBuffer>('assignment_frame', { assignmentId: q!.assignment_id, frame: 3 });
    expect(buf.byteLength).toBe(64 * 48 * 2);
    await expect(b.invoke('assignment_frame', { assignmentId: q!.assignment_id, frame: 12 })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'Frame 12 does not exist: this image has 12 frames, numbered from 0 to 11.',
    });
    await expect(
      b.invoke('save_annotation', { assignmentId: q!.assignment_id, value: { ...empty(), boxes: [box(60, 40, 10, 5)] }, reason: null }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    b.signInAs('noor');
    await expect(b.invoke('assignment_frame', { assignmentId: q!.assignment_id, frame: 0 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('draws a box with B and a drag, labels with shift+digit, keeps W/L across frames', async () => {
    const fake = MockBackend.withDemo();
    await releasedImage(fake);
    const { backend } = await boot({ as: 'ari', hash: '#/work', backend: fake });
    const canvas = await screen.findByTestId('work-image');
    await waitFor(() => expect(backend.commandCount('assignment_frame')).toBeGreaterThan(0));
    await fireEvent.keyDown(window, { key: '@', code: 'Digit2', shiftKey: true });
    expect(screen.getByTestId('work-label-Cyst').getAttribute('aria-pressed')).toBe('true');
    await fireEvent.keyDown(window, { key: '2', code: 'Digit2' });
    expect(screen.getByTestId('work-image-wl').textContent).toBe('W 1500 L -600');
    await fireEvent.keyDown(window, { key: 'ArrowDown', code: 'ArrowDown' });
    expect(screen.getByTestId('work-image-frame').textContent).toBe('2 / 12');
    expect(screen.getByTestId('work-image-wl').textContent).toBe('W 1500 L -600');
    await fireEvent.keyDown(window, { key: 'b', code: 'KeyB' });
    canvas.setPointerCapture = () => {};
    await fireEvent.pointerDown(canvas, { button: 0, clientX: 10, clientY: 10, pointerId: 1 });
    await fireEvent.pointerMove(canvas, { button: 0, clientX: 60, clientY: 50, pointerId: 1 });
    await fireEvent.pointerUp(canvas, { button: 0, clientX: 60, clientY: 50, pointerId: 1 });
    await waitFor(() => expect(backend.commandCount('save_annotation')).toBe(1));
    const saved = backend.calls.find((c) => c.cmd === 'save_annotation')!.args as { value: AnnotationValue };
    expect(saved.value.boxes).toHaveLength(1);
    expect(saved.value.boxes[0]).toMatchObject({ label: 'Cyst', frame: 1 });
    expect(screen.getByTestId('work-regions').textContent).toContain('Cyst frame 2');
    await fireEvent.keyDown(window, { key: 'Backspace', code: 'Backspace' });
    await waitFor(() => expect(backend.commandCount('save_annotation')).toBe(2));
    await fireEvent.keyDown(window, { key: 'z', code: 'KeyZ', ctrlKey: true });
    await waitFor(() => expect(backend.commandCount('save_annotation')).toBe(3));
    expect(screen.getByTestId('work-regions').textContent).toContain('Cyst');
  });

  it('plays the frames with C (cine) and hides the selected box with H', async () => {
    const fake = MockBackend.withDemo();
    await releasedImage(fake);
    fake.signInAs('ari');
    const [q] = await fake.invoke<{ assignment_id: string }[]>('my_queue');
    await fake.invoke('save_annotation', { assignmentId: q!.assignment_id, value: { ...empty(), boxes: [{ ...box(2, 2, 8, 6), frame: 0 }] }, reason: null });
    await boot({ as: 'ari', hash: '#/work', backend: fake });
    await screen.findByTestId('work-image');
    await waitFor(() => expect(screen.getByTestId('work-image').getAttribute('data-frame')).toBe('0'));
    await fireEvent.click(screen.getByTestId('work-regions').querySelector('button')!);
    await fireEvent.keyDown(window, { key: 'h', code: 'KeyH' });
    expect(screen.getByTestId('work-regions').textContent).toContain('hidden');
    await fireEvent.keyDown(window, { key: 'h', code: 'KeyH' });
    expect(screen.getByTestId('work-regions').textContent).not.toContain('hidden');
    (screen.getByTestId('work-cine-fps') as HTMLSelectElement).value = '30';
    await fireEvent.change(screen.getByTestId('work-cine-fps'));
    await fireEvent.keyDown(window, { key: 'c', code: 'KeyC' });
    expect(screen.getByTestId('work-cine').getAttribute('aria-pressed')).toBe('true');
    await waitFor(() => expect(screen.getByTestId('work-image-frame').textContent).toBe('4 / 12'), { timeout: 3000 });
    await fireEvent.keyDown(window, { key: 'c', code: 'KeyC' });
    const stopped = screen.getByTestId('work-image-frame').textContent;
    await new Promise((r) => setTimeout(r, 200));
    expect(screen.getByTestId('work-image-frame').textContent).toBe(stopped);
  });

  it('reviews polygons: lists each annotator\'s, takes one into gold and removes it', async () => {
    const fake = MockBackend.withDemo();
    await releasedImage(fake, 'image_polygons');
    const l: [number, number][] = [[0, 0], [10, 0], [10, 5], [5, 5], [5, 10], [0, 10]];
    const square: [number, number][] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    for (const [who, points] of [['ari', l], ['noor', square]] as const) {
      fake.signInAs(who);
      const [q] = await fake.invoke<{ assignment_id: string }[]>('my_queue');
      await fake.invoke('save_annotation', { assignmentId: q!.assignment_id, value: { ...empty(), polygons: [{ points, label: 'Lesion', frame: 3 }] }, reason: null });
      await fake.invoke('submit_annotation', { assignmentId: q!.assignment_id });
    }
    await boot({ as: 'rui', hash: '#/review', backend: fake });
    const queue = await screen.findByTestId('review-queue');
    const row = [...queue.querySelectorAll('button')].find((x) => x.textContent?.includes('Lesions'))!;
    await fireEvent.click(row);
    await screen.findByTestId('review-image');
    const cols = ['A1', 'A2'].map((a) => screen.getByTestId(`review-col-${a}`).textContent ?? '');
    expect(cols.some((c) => c.includes('Lesion frame 4 · 6 points · area 75 px²'))).toBe(true);
    expect(cols.some((c) => c.includes('Lesion frame 4 · 4 points · area 100 px²'))).toBe(true);
    const gold = () => screen.getByTestId('review-gold-regions').querySelectorAll('li').length;
    expect(gold()).toBe(0);
    await fireEvent.click(screen.getByTestId('review-take-A2-0'));
    await waitFor(() => expect(gold()).toBe(1));
    expect(screen.getByTestId('review-gold-regions').textContent).toContain('points · area');
    await fireEvent.click(screen.getByTestId('review-gold-remove-0'));
    await waitFor(() => expect(gold()).toBe(0));
  });
});
