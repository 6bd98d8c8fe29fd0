//! Image items for labelling and review: the de-identified output (work tier, never the
//! original) decoded in Rust, one frame per request: DICOM as 16-bit stored values, PNG
//! and JPEG (released as PNG) as 8-bit RGBA.
//!
//! An annotator reads frames of their own assignments only; a reviewer or lead reads
//! frames of items with submitted labels under a schema. Every request is checked; the
//! first read of an item's pixels in a session is audited as an item view (the decoded
//! series is then kept in memory for the session, a few items at most, so scrolling does
//! not write an event per frame). Nothing decoded touches disk.

use crate::annotate::{damaged, load_schema};
use crate::error::{AppError, ErrorCode};
use crate::json::ImageInfo;
use crate::session::Session;
use airlock_deid_dicom::{decode_series, image_size, ImageSize, Limits, PixelError, Series};
use airlock_deid_image::Picture;
use airlock_model::{Action, Content, EventKind, Outcome};
use airlock_vault::{BlobRef, Tier};
use sqlx::Row;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Decoded images kept per session: the open item and the next two (prefetched).
const CACHED_SERIES: usize = 3;

/// A decoded de-identified image, ready for a viewer.
pub(crate) enum Viewable {
    /// A DICOM series: frames of 16-bit stored values.
    Series(Series),
    /// A PNG or JPEG item (released as PNG): one frame of 8-bit RGBA.
    Picture {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// RGBA, row-major.
        rgba: Vec<u8>,
    },
}

impl Viewable {
    fn frames(&self) -> u32 {
        match self {
            Viewable::Series(s) => s.info().frames,
            Viewable::Picture { .. } => 1,
        }
    }
}

/// Decoded images of this session (most recent last), and the items whose pixels were
/// read in it (their view is audited once).
#[derive(Default)]
pub(crate) struct SeriesCache {
    series: Mutex<Vec<(String, Arc<Viewable>)>>,
    read: Mutex<HashSet<String>>,
}

impl SeriesCache {
    fn get(&self, item: &str) -> Option<Arc<Viewable>> {
        let mut v = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let at = v.iter().position(|(i, _)| i == item)?;
        let entry = v.remove(at);
        let series = entry.1.clone();
        v.push(entry);
        Some(series)
    }

    fn put(&self, item: &str, series: Arc<Viewable>) {
        let mut v = self.series.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|(i, _)| i != item);
        if v.len() >= CACHED_SERIES {
            v.remove(0);
        }
        v.push((item.to_string(), series));
    }

    /// True the first time this session reads `item`'s pixels.
    fn first_read(&self, item: &str) -> bool {
        let mut r = self.read.lock().unwrap_or_else(|e| e.into_inner());
        r.insert(item.to_string())
    }
}

/// The viewer's description of a decoded image.
pub(crate) fn image_info(image: &Viewable) -> ImageInfo {
    let series = match image {
        Viewable::Series(s) => s,
        Viewable::Picture { width, height, .. } => {
            return ImageInfo {
                width: *width,
                height: *height,
                frames: 1,
                bits_stored: 8,
                signed: false,
                rescale_slope: 1.0,
                rescale_intercept: 0.0,
                window_center: 127.5,
                window_width: 256.0,
                window_from_header: false,
                inverted: false,
                modality: String::new(),
                color: true,
            }
        }
    };
    let i = series.info();
    ImageInfo {
        width: i.columns,
        height: i.rows,
        frames: i.frames,
        bits_stored: i.bits_stored,
        signed: i.signed,
        rescale_slope: i.rescale_slope,
        rescale_intercept: i.rescale_intercept,
        window_center: i.window_center,
        window_width: i.window_width,
        window_from_header: i.window_from_header,
        inverted: i.inverted,
        modality: i.modality.clone(),
        color: false,
    }
}

/// The one sentence for a released image that does not decode.
fn undecodable() -> AppError {
    AppError::new(
        ErrorCode::Conflict,
        "The de-identified image could not be decoded for viewing.",
    )
}

/// The size of a decoded image.
fn size_of(image: &Viewable) -> ImageSize {
    let i = image_info(image);
    ImageSize {
        columns: i.width,
        rows: i.height,
        frames: i.frames,
    }
}

/// Decodes a released image for viewing: a DICOM series, or a PNG as RGBA.
fn decode_viewable(bytes: &[u8], dicom: bool) -> Result<Viewable, AppError> {
    if dicom {
        decode_series(bytes, &Limits::default())
            .map(Viewable::Series)
            .map_err(|_| undecodable())
    } else {
        airlock_deid_image::decode(bytes, &airlock_deid_image::Policy::default())
            .map(|p: Picture| Viewable::Picture {
                width: p.width(),
                height: p.height(),
                rgba: p.rgba8(),
            })
            .map_err(|_| undecodable())
    }
}

/// What labels on a decoded image are checked against.
pub(crate) fn content_of(image: &Viewable) -> Content<'static> {
    let i = image_info(image);
    Content::Image {
        width: i.width,
        height: i.height,
        frames: i.frames,
    }
}

impl Session {
    /// The de-identified file of a released image item (validated `ps315_dicom` or
    /// `image_reencode` output) and whether it is DICOM (else PNG).
    pub(crate) async fn released_image_blob(
        &self,
        item: &str,
    ) -> Result<(BlobRef, bool), AppError> {
        let r = sqlx::query(
            "SELECT d.output_blob, d.output_size, d.method FROM deid_results d JOIN items i ON i.id = d.item_id \
             WHERE d.item_id = ? AND ((i.kind = 'dicom' AND d.method = 'ps315_dicom') \
             OR (i.kind IN ('png', 'jpeg') AND d.method = 'image_reencode')) \
             AND d.status IN ('validated', 'validated_by_sample')",
        )
        .bind(item)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::Conflict,
                "This image is not released for annotation.",
            )
        })?;
        let (Some(name), Some(size)) = (r.get::<Option<String>, _>(0), r.get::<Option<i64>, _>(1))
        else {
            return Err(damaged());
        };
        let blob = BlobRef {
            tier: Tier::Work,
            name,
            size: size as u64,
        };
        Ok((blob, r.get::<String, _>(2) == "ps315_dicom"))
    }

    /// The decoded de-identified image of a released item, from the session's cache or
    /// decoded now.
    pub(crate) async fn released_series(&self, item: &str) -> Result<Arc<Viewable>, AppError> {
        if let Some(s) = self.series.get(item) {
            return Ok(s);
        }
        let (blob, dicom) = self.released_image_blob(item).await?;
        let blobs = self.vault.blobs(&self.keys.work, None);
        let series = tokio::task::spawn_blocking(move || {
            decode_viewable(&blobs.read_all(&blob).map_err(AppError::from)?, dicom)
        })
        .await
        .map_err(|_| damaged())??;
        let series = Arc::new(series);
        self.series.put(item, series.clone());
        Ok(series)
    }

    /// The de-identified file of a released image item, whether it is DICOM (else PNG),
    /// and its size: from the session's cache, else from the DICOM header (the pixels
    /// are not decoded) or the decoded PNG. The file is read once.
    pub(crate) async fn released_image_file(
        &self,
        item: &str,
    ) -> Result<(Vec<u8>, bool, ImageSize), AppError> {
        let (blob, dicom) = self.released_image_blob(item).await?;
        let blobs = self.vault.blobs(&self.keys.work, None);
        let cached = self.series.get(item);
        let (bytes, size) = tokio::task::spawn_blocking(move || {
            let bytes = blobs.read_all(&blob).map_err(AppError::from)?;
            let size = match cached {
                Some(v) => size_of(&v),
                None if dicom => {
                    image_size(&bytes, &Limits::default()).map_err(|_| undecodable())?
                }
                None => size_of(&decode_viewable(&bytes, dicom)?),
            };
            Ok::<_, AppError>((bytes, size))
        })
        .await
        .map_err(|_| damaged())??;
        Ok((bytes, dicom, size))
    }

    /// Writes the item view of a first pixel read.
    async fn audit_pixels(
        &self,
        item: &str,
        key: &str,
        value: &str,
        frames: u32,
    ) -> Result<(), AppError> {
        let mut d = self.draft(EventKind::ItemViewed, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item.to_string());
        d.detail.insert(key.into(), value.into());
        d.detail.insert("pixels".into(), true.into());
        d.detail.insert("frames".into(), frames.into());
        self.record_alone(d).await?;
        Ok(())
    }

    /// One frame (from 0) of the image of one of the caller's assignments: little-endian
    /// 16-bit stored values, or 8-bit RGBA when [`ImageInfo::color`]. Annotators only, own
    /// assignments only.
    pub async fn assignment_frame(&self, id: &str, frame: u32) -> Result<Vec<u8>, AppError> {
        let _grant = self.authorize(Action::Annotate).await?;
        let (item, schema_id, ..) = self.my_assignment(id).await?;
        let mut conn = self.pool.acquire().await?;
        let schema = load_schema(&mut conn, &schema_id).await?;
        drop(conn);
        if schema.task.is_text() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This assignment is a text item and has no image.",
            ));
        }
        let series = self.released_series(&item).await?;
        let bytes = frame_of(&series, frame)?;
        if self.series.first_read(&item) {
            self.audit_pixels(&item, "assignment", id, series.frames())
                .await?;
        }
        Ok(bytes)
    }

    /// One frame (from 0) of an item under review, as [`Session::assignment_frame`] gives
    /// it. Reviewers and leads; the item must have submitted labels under the schema.
    pub async fn review_frame(
        &self,
        item: &str,
        schema_id: &str,
        frame: u32,
    ) -> Result<Vec<u8>, AppError> {
        let _grant = self.authorize(Action::Review).await?;
        let submitted: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM assignments WHERE item_id = ? AND schema_id = ? AND was_submitted = 1",
        )
        .bind(item)
        .bind(schema_id)
        .fetch_one(&self.pool)
        .await?;
        if submitted == 0 {
            return Err(AppError::new(
                ErrorCode::NotFound,
                "Nothing has been submitted for this item yet.",
            ));
        }
        let series = self.released_series(item).await?;
        let bytes = frame_of(&series, frame)?;
        if self.series.first_read(item) {
            self.audit_pixels(item, "review_schema", schema_id, series.frames())
                .await?;
        }
        Ok(bytes)
    }
}

fn frame_of(image: &Viewable, frame: u32) -> Result<Vec<u8>, AppError> {
    let series = match image {
        Viewable::Series(s) => s,
        Viewable::Picture { rgba, .. } if frame == 0 => return Ok(rgba.clone()),
        Viewable::Picture { .. } => {
            return Err(AppError::invalid(format!(
                "Frame {frame} does not exist: this image has one frame, numbered 0."
            )))
        }
    };
    series.frame_bytes(frame).map_err(|e| match e {
        PixelError::Frame { frame, frames } => AppError::invalid(format!(
            "Frame {frame} does not exist: this image has {frames} frames, numbered from 0 to {}.",
            frames.saturating_sub(1)
        )),
        _ => damaged(),
    })
}
