import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { DicomReview } from '../src/lib/api/types';
import DicomReviewPane from '../src/views/DicomReviewPane.svelte';

function review(over: Partial<DicomReview> = {}): DicomReview {
  return {
    item_id: 'itm_1',
    number: 7,
    source_name: 'us/image.dcm',
    method: 'ps315_dicom',
    status: 'proposed',
    revision: 1,
    misses: 0,
    columns: 4,
    rows: 4,
    frame_columns: 4,
    frame_rows: 4,
    frame_channels: 1,
    frames: 1,
    original_frame: btoa(String.fromCharCode(...Array.from({ length: 16 }, (_, i) => i * 10))),
    result_frame: btoa(String.fromCharCode(...Array.from({ length: 16 }, () => 0))),
    proposed: [{ x: 0, y: 0, width: 4, height: 1 }],
    hand_regions: [],
    risk: ['ultrasound'],
    pixels_cleaned: false,
    pixel_regions: 0,
    residual_words: null,
    needs_pixel_review: true,
    ocr_available: false,
    device: { manufacturer: 'Synthetic Devices', model: 'Sono Synth 5' },
    device_template: null,
    template_applied: false,
    method_codes: ['113100'],
    profile_edition: '2026c',
    header: [
      { path: '(0010,0010)', tag: '(0010,0010)', keyword: 'PatientName', vr: 'PN', original: 'DOE^JANE', result: null, treatment: 'removed', code: 'X' },
      { path: '(0008,0060)', tag: '(0008,0060)', keyword: 'Modality', vr: 'CS', original: 'US', result: 'US', treatment: null, code: null },
    ],
    ...over,
  };
}

describe('DICOM review pane', () => {
  it('shows changed attributes with their code, and every attribute on request', async () => {
    render(DicomReviewPane, { review: review(), canEdit: true, busy: false, onclean: vi.fn() });
    const table = screen.getByTestId('dicom-header');
    expect(table.querySelectorAll('tbody tr')).toHaveLength(1);
    expect(table.textContent).toContain('removed (X)');
    await fireEvent.click(screen.getByLabelText('Changed attributes only'));
    expect(table.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(screen.getByTestId('dicom-original').textContent).toContain('each view is recorded');
  });

  it('warns about burned-in text and offers cleaning only once regions change', () => {
    const onclean = vi.fn();
    render(DicomReviewPane, { review: review(), canEdit: true, busy: false, onclean });
    expect(screen.getByTestId('dicom-needs-review').textContent).toContain('burned-in text');
    expect(screen.getByTestId('dicom-pixels').textContent).toContain('no OCR installed');
    expect((screen.getByTestId('dicom-clean') as HTMLButtonElement).disabled).toBe(true);
  });

  it('keeps the drawn regions as the device template, once there are some', async () => {
    const ontemplate = vi.fn();
    const banner = { x: 0, y: 0, width: 4, height: 1 };
    const { unmount } = render(DicomReviewPane, { review: review(), canEdit: true, busy: false, onclean: vi.fn(), ontemplate });
    expect(screen.getByTestId('dicom-device').textContent).toContain('Synthetic Devices Sono Synth 5');
    expect(screen.getByTestId('dicom-device').textContent).toContain('no template for this device');
    expect((screen.getByTestId('dicom-keep-template') as HTMLButtonElement).disabled).toBe(true);
    unmount();
    const template = {
      id: 'tpl_1',
      device: { manufacturer: 'Synthetic Devices', model: 'Sono Synth 5' },
      columns: 4,
      rows: 4,
      regions: [banner],
      from_item: 'itm_1',
      from_item_number: 7,
      saved_at: '2026-12-01T10:00:00Z',
      saved_by: 'dana',
    };
    render(DicomReviewPane, { review: review({ hand_regions: [banner], device_template: template }), canEdit: true, busy: false, onclean: vi.fn(), ontemplate });
    expect(screen.getByTestId('dicom-device').textContent).toContain('template of 1 region for 4 × 4, kept from item 7 by dana');
    expect(screen.getByTestId('dicom-template-pending')).toBeTruthy();
    expect((screen.getByTestId('dicom-clean') as HTMLButtonElement).disabled, 'cleaning again applies the template').toBe(false);
    await fireEvent.click(screen.getByTestId('dicom-keep-template'));
    expect(ontemplate).toHaveBeenCalledWith([banner]);
  });

  it('says when the header names no device', () => {
    render(DicomReviewPane, { review: review({ device: null }), canEdit: true, busy: false, onclean: vi.fn(), ontemplate: vi.fn() });
    expect(screen.getByTestId('dicom-device').textContent).toContain('names no device model');
    expect(screen.queryByTestId('dicom-keep-template')).toBeNull();
  });

  it('says plainly when an object has no image', () => {
    render(DicomReviewPane, { review: review({ columns: 0, rows: 0, original_frame: null, result_frame: null, needs_pixel_review: false }), canEdit: false, busy: false, onclean: vi.fn() });
    expect(screen.getByTestId('dicom-no-image')).toBeTruthy();
  });

  it('shows a photograph as the file format and the metadata removed, without PS3.15 codes', () => {
    render(DicomReviewPane, {
      review: review({
        method: 'image_reencode',
        source_name: 'photos/wound.jpg',
        columns: 8,
        rows: 4,
        frame_columns: 4,
        frame_rows: 2,
        frame_channels: 3,
        original_frame: btoa(String.fromCharCode(...Array.from({ length: 24 }, (_, i) => i * 10))),
        result_frame: btoa(String.fromCharCode(...Array.from({ length: 24 }, () => 0))),
        method_codes: [],
        profile_edition: '',
        header: [
          { path: 'format', tag: '', keyword: 'File format', vr: '', original: 'JPEG', result: 'PNG', treatment: 're_encoded', code: null },
          { path: 'metadata/exif/1', tag: 'JPEG APP1', keyword: 'exif', vr: '', original: 'Exif · Synthetic Name', result: null, treatment: 'removed', code: null },
        ],
      }),
      canEdit: true,
      busy: false,
      onclean: vi.fn(),
    });
    expect(screen.getByText('File and metadata')).toBeTruthy();
    expect(screen.queryByText(/PS3\.15/)).toBeNull();
    const table = screen.getByTestId('dicom-header');
    expect(table.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(table.textContent).toContain('JPEG APP1');
    expect(table.textContent).toContain('re encoded');
  });
});
