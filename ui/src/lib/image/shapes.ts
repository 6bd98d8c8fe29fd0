// Editing boxes and polygons on an image: a pure reducer over AnnotationValue (each result
// is saved as one change, exactly like the text pane), plus IoU matching for review.
import type { AnnotationValue, BoxLabel, PolygonLabel, RegionState, Task } from '../api/types';

/** Image size in pixels. */
export interface Size {
  width: number;
  height: number;
}

/** The selected shape: a box or a polygon, by index. */
export type ShapeRef = { kind: 'box' | 'polygon'; index: number } | null;

/** One edit of the labels. */
export type ShapeEdit =
  | { type: 'add_box'; box: BoxLabel }
  | { type: 'add_polygon'; polygon: PolygonLabel }
  | { type: 'move'; ref: NonNullable<ShapeRef>; dx: number; dy: number }
  | { type: 'relabel'; ref: NonNullable<ShapeRef>; label: string }
  | { type: 'delete'; ref: NonNullable<ShapeRef> };

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Rounds to 1/100 pixel so saved values stay short and stable. */
const r2 = (v: number) => Math.round(v * 100) / 100;

/** The box spanned by two corners, clipped to the image; null when it has no area. */
export function boxFrom(a: [number, number], b: [number, number], size: Size, label: string, frame: number): BoxLabel | null {
  const x0 = r2(clamp(Math.min(a[0], b[0]), 0, size.width));
  const y0 = r2(clamp(Math.min(a[1], b[1]), 0, size.height));
  const x1 = r2(clamp(Math.max(a[0], b[0]), 0, size.width));
  const y1 = r2(clamp(Math.max(a[1], b[1]), 0, size.height));
  if (x1 - x0 < 1 || y1 - y0 < 1) return null;
  return { x: x0, y: y0, w: r2(x1 - x0), h: r2(y1 - y0), label, frame };
}

/** The area enclosed by a simple polygon (shoelace formula, either orientation). */
export function polygonArea(points: [number, number][]): number {
  let area2 = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const q = points[(i + 1) % points.length]!;
    area2 += p[0] * q[1] - q[0] * p[1];
  }
  return Math.abs(area2) / 2;
}

/** A polygon from clicked points (clipped); null with fewer than 3 points or no area. */
export function polygonFrom(points: [number, number][], size: Size, label: string, frame: number): PolygonLabel | null {
  const pts = points.map(([x, y]) => [r2(clamp(x, 0, size.width)), r2(clamp(y, 0, size.height))] as [number, number]);
  if (pts.length < 3) return null;
  return polygonArea(pts) > 0 ? { points: pts, label, frame } : null;
}

/** Applies one edit; returns a new value (the input is not changed). Moves stay inside the image. */
export function applyEdit(value: AnnotationValue, edit: ShapeEdit, size: Size): AnnotationValue {
  const next: AnnotationValue = { ...value, boxes: [...value.boxes], polygons: [...value.polygons] };
  switch (edit.type) {
    case 'add_box':
      next.boxes.push(edit.box);
      break;
    case 'add_polygon':
      next.polygons.push(edit.polygon);
      break;
    case 'delete':
      if (edit.ref.kind === 'box') next.boxes.splice(edit.ref.index, 1);
      else next.polygons.splice(edit.ref.index, 1);
      break;
    case 'relabel':
      if (edit.ref.kind === 'box' && next.boxes[edit.ref.index]) next.boxes[edit.ref.index] = { ...next.boxes[edit.ref.index]!, label: edit.label };
      if (edit.ref.kind === 'polygon' && next.polygons[edit.ref.index]) next.polygons[edit.ref.index] = { ...next.polygons[edit.ref.index]!, label: edit.label };
      break;
    case 'move':
      if (edit.ref.kind === 'box') {
        const b = next.boxes[edit.ref.index];
        if (b) next.boxes[edit.ref.index] = { ...b, x: r2(clamp(b.x + edit.dx, 0, size.width - b.w)), y: r2(clamp(b.y + edit.dy, 0, size.height - b.h)) };
      } else {
        const p = next.polygons[edit.ref.index];
        if (p) {
          const xs = p.points.map((q) => q[0]);
          const ys = p.points.map((q) => q[1]);
          const dx = clamp(edit.dx, -Math.min(...xs), size.width - Math.max(...xs));
          const dy = clamp(edit.dy, -Math.min(...ys), size.height - Math.max(...ys));
          next.polygons[edit.ref.index] = { ...p, points: p.points.map((q) => [r2(q[0] + dx), r2(q[1] + dy)] as [number, number]) };
        }
      }
      break;
  }
  return next;
}

/** Whether (x, y) is inside a polygon (even–odd rule). */
function insidePolygon(points: [number, number][], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i]!;
    const [xj, yj] = points[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The topmost shape on `frame` under image point (x, y), latest drawn first. */
export function hitTest(value: AnnotationValue, frame: number, x: number, y: number): ShapeRef {
  for (let i = value.polygons.length - 1; i >= 0; i--) {
    const p = value.polygons[i]!;
    if (p.frame === frame && insidePolygon(p.points, x, y)) return { kind: 'polygon', index: i };
  }
  for (let i = value.boxes.length - 1; i >= 0; i--) {
    const b = value.boxes[i]!;
    if (b.frame === frame && x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h) return { kind: 'box', index: i };
  }
  return null;
}

/** Intersection over union of two boxes (0 when on different frames). */
export function iou(a: BoxLabel, b: BoxLabel): number {
  if (a.frame !== b.frame) return 0;
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/**
 * For each box of `mine`, its state against every other annotator's boxes: the best IoU
 * partner with the same label at IoU ≥ 0.5 agrees; another label there conflicts; a weaker
 * overlap is a boundary difference; no overlap is missing (the server's summary uses the
 * same rules; the mock backend uses this in its place). The worst state over the others wins.
 */
export function boxStates(mine: BoxLabel[], others: BoxLabel[][]): RegionState[] {
  const rank: Record<RegionState, number> = { agree: 0, conflict: 1, boundary: 2, missing: 3 };
  return mine.map((b) => {
    let worst: RegionState = 'agree';
    for (const list of others) {
      let best = 0;
      let partner: BoxLabel | null = null;
      for (const o of list) {
        const x = iou(b, o);
        if (x > best) {
          best = x;
          partner = o;
        }
      }
      const s: RegionState = best >= 0.5 ? (partner!.label === b.label ? 'agree' : 'conflict') : best > 0 ? 'boundary' : 'missing';
      if (rank[s] > rank[worst]) worst = s;
    }
    return worst;
  });
}

/** Mean best-partner IoU of `a`'s boxes against `b`'s (same frame, any label); null with no boxes. */
export function pairIou(a: BoxLabel[], b: BoxLabel[]): number | null {
  if (a.length === 0 && b.length === 0) return null;
  if (a.length === 0 || b.length === 0) return 0;
  const best = a.map((x) => Math.max(0, ...b.map((y) => iou(x, y))));
  return best.reduce((s, v) => s + v, 0) / best.length;
}

/** The kind of region an image task draws: boxes or polygons; null for other tasks. */
export function regionKind(task: Task): 'box' | 'polygon' | null {
  return task === 'image_boxes' ? 'box' : task === 'image_polygons' ? 'polygon' : null;
}

/** One region in a review list: which shape, its label and frame, and a short size. */
export interface RegionRow {
  ref: NonNullable<ShapeRef>;
  label: string;
  frame: number;
  size: string;
}

/** The regions of `kind` in `value`, in order, as the review lists them. */
export function regionRows(value: AnnotationValue, kind: 'box' | 'polygon'): RegionRow[] {
  if (kind === 'box') {
    return value.boxes.map((b, index) => ({ ref: { kind, index }, label: b.label, frame: b.frame, size: `${Math.round(b.w)}×${Math.round(b.h)} at ${Math.round(b.x)}, ${Math.round(b.y)}` }));
  }
  return value.polygons.map((p, index) => ({ ref: { kind, index }, label: p.label, frame: p.frame, size: `${p.points.length} points · area ${Math.round(polygonArea(p.points))} px²` }));
}

/** `gold` with a copy of `from`'s region `ref` added (unchanged when `from` has no such region). */
export function takeRegion(gold: AnnotationValue, from: AnnotationValue, ref: NonNullable<ShapeRef>): AnnotationValue {
  if (ref.kind === 'box') {
    const b = from.boxes[ref.index];
    return b ? { ...gold, boxes: [...gold.boxes, { ...b }] } : gold;
  }
  const p = from.polygons[ref.index];
  return p ? { ...gold, polygons: [...gold.polygons, { ...p, points: p.points.map((q) => [q[0], q[1]] as [number, number]) }] } : gold;
}
