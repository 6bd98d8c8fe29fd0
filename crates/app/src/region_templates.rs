//! Region templates per device model. A scanner burns its text (patient banner, dates,
//! operator) in the same places on every image it makes; a lead who drew those regions on
//! one image keeps them as the template of its manufacturer, model and image size. Every
//! image at risk of burned-in text from that device that is de-identified or cleaned again
//! afterwards has them blacked out, and its review proposes them (dashed) besides OCR's.
//!
//! Device identity (Manufacturer, Manufacturer's Model Name) is not PHI, and PS3.15 keeps
//! both; the events name the template and the item, never the device.

use crate::annotate::damaged;
use crate::deid_dicom_items::{read_source, region_of, shown_region, MAX_HAND_REGIONS};
use crate::error::{AppError, ErrorCode};
use crate::json::{DeviceModel, DicomRegion, RegionTemplateDto};
use crate::rfc3339;
use crate::session::Session;
use airlock_deid_dicom::{propose_regions, Policy, Region, RegionTemplate};
use airlock_model::{Action, EventKind, Outcome};
use sqlx::Row;

/// The columns a template row is read with, in this order (see [`template_of`]).
const COLUMNS: &str = "id, manufacturer, model, columns, rows, regions, from_item, saved_at, \
     (SELECT name FROM users WHERE id = saved_by), (SELECT number FROM items WHERE id = from_item)";

fn template_of(r: &sqlx::sqlite::SqliteRow) -> Result<RegionTemplateDto, AppError> {
    let regions: Vec<Region> =
        serde_json::from_str(&r.get::<String, _>(5)).map_err(|_| damaged())?;
    Ok(RegionTemplateDto {
        id: r.get(0),
        device: DeviceModel {
            manufacturer: r.get(1),
            model: r.get(2),
        },
        columns: r.get::<i64, _>(3) as u32,
        rows: r.get::<i64, _>(4) as u32,
        regions: regions.iter().map(shown_region).collect(),
        from_item: r.get(6),
        from_item_number: r.get::<Option<i64>, _>(9).unwrap_or(0) as u64,
        saved_at: r.get(7),
        saved_by: r.get::<Option<String>, _>(8).unwrap_or_default(),
    })
}

impl Session {
    /// Every kept region template, by device. Lead only.
    pub async fn region_templates(&self) -> Result<Vec<RegionTemplateDto>, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        self.templates_where("1 = 1", &[]).await
    }

    async fn templates_where(
        &self,
        filter: &str,
        binds: &[&str],
    ) -> Result<Vec<RegionTemplateDto>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM region_templates WHERE {filter} \
             ORDER BY manufacturer, model, columns, rows"
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(template_of)
            .collect()
    }

    /// The template kept for this device and image size, if any (for a review).
    pub(crate) async fn template_for(
        &self,
        device: &DeviceModel,
        columns: u32,
        rows: u32,
    ) -> Result<Option<RegionTemplateDto>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM region_templates \
             WHERE manufacturer = ? AND model = ? AND columns = ? AND rows = ?"
        );
        sqlx::query(&sql)
            .bind(&device.manufacturer)
            .bind(&device.model)
            .bind(i64::from(columns))
            .bind(i64::from(rows))
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(template_of)
            .transpose()
    }

    /// Every template as the de-identifier takes them.
    pub(crate) async fn device_templates(&self) -> Result<Vec<RegionTemplate>, AppError> {
        let kept = self.templates_where("1 = 1", &[]).await?;
        Ok(kept
            .into_iter()
            .map(|t| RegionTemplate {
                manufacturer: t.device.manufacturer,
                model: t.device.model,
                columns: Some(t.columns),
                rows: Some(t.rows),
                regions: t.regions.iter().map(region_of).collect(),
            })
            .collect())
    }

    /// Keeps `regions` (drawn on the first frame of the DICOM item `item`) as the template
    /// of the item's device and image size, replacing that device's earlier template.
    /// Regions are clipped to the image; the header must name the manufacturer and model.
    /// Lead only; audited with the template, the item and the number of regions.
    pub async fn region_template_save(
        &self,
        item: &str,
        regions: &[DicomRegion],
    ) -> Result<RegionTemplateDto, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let blobs = self.lead_blobs()?;
        if regions.len() > MAX_HAND_REGIONS {
            return Err(AppError::invalid(format!(
                "A template holds at most {MAX_HAND_REGIONS} regions."
            )));
        }
        let s = self.pixel_source(item).await?;
        let kind: String = sqlx::query_scalar("SELECT kind FROM items WHERE id = ?")
            .bind(item)
            .fetch_one(&self.pool)
            .await?;
        if kind != "dicom" {
            return Err(AppError::invalid(
                "Templates are kept for DICOM images, whose header names the device.",
            ));
        }
        let original = read_source(&blobs, &s).map_err(|_| damaged())?;
        let image = tokio::task::spawn_blocking(move || {
            propose_regions(&original, &Policy::default(), None)
        })
        .await
        .map_err(|_| damaged())?
        .map_err(|_| {
            AppError::invalid("The image cannot be decoded, so no template can be drawn on it.")
        })?;
        let fits = |s: &str| (1..=64).contains(&s.chars().count());
        if !fits(&image.manufacturer) || !fits(&image.model) {
            return Err(AppError::invalid(
                "This image's header does not name its device (Manufacturer and Manufacturer's \
                 Model Name, up to 64 characters each), so no template can be kept for it.",
            ));
        }
        let clipped: Vec<Region> = regions
            .iter()
            .filter_map(|r| region_of(r).clip(image.columns, image.rows))
            .collect();
        if clipped.is_empty() {
            return Err(AppError::invalid(
                "Draw at least one region on the image to keep as its device's template.",
            ));
        }
        let regions_json = serde_json::to_string(&clipped).expect("regions serialise");
        let mut tx = self.begin().await?;
        let id: String = sqlx::query_scalar(
            "INSERT INTO region_templates (id, manufacturer, model, columns, rows, regions, from_item, saved_at, saved_by) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (manufacturer, model, columns, rows) DO UPDATE SET \
             regions = excluded.regions, from_item = excluded.from_item, saved_at = excluded.saved_at, saved_by = excluded.saved_by \
             RETURNING id",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&image.manufacturer)
        .bind(&image.model)
        .bind(i64::from(image.columns))
        .bind(i64::from(image.rows))
        .bind(&regions_json)
        .bind(item)
        .bind(rfc3339(self.now()))
        .bind(self.user_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::RegionTemplateSaved, Outcome::Success);
        d.object_kind = Some("region_template".into());
        d.object_id = Some(id.clone());
        d.detail.insert("item".into(), item.into());
        d.detail.insert("regions".into(), clipped.len().into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        self.templates_where("id = ?", &[&id])
            .await?
            .pop()
            .ok_or_else(damaged)
    }

    /// Removes a region template: images of its device are no longer cleaned with it
    /// (those already cleaned stay as they are). Lead only; audited.
    pub async fn region_template_remove(&self, id: &str) -> Result<(), AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let mut tx = self.begin().await?;
        let gone = sqlx::query("DELETE FROM region_templates WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(AppError::new(
                ErrorCode::NotFound,
                "No region template has this id.",
            ));
        }
        let mut d = self.draft(EventKind::RegionTemplateRemoved, Outcome::Success);
        d.object_kind = Some("region_template".into());
        d.object_id = Some(id.to_string());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(())
    }
}
