//! Delivering: labels (gold only, or every annotator's too) with their compliance package
//! as a BagIt bag signed by the exporting lead and age-encrypted to the client (or, when
//! explicitly asked for and recorded, a plaintext bag); team qualifications; retention.

use crate::annotate::{load_schema, sha_hex};
use crate::error::{sentence, AppError, ErrorCode};
use crate::json::{
    ExportDto, ExportFormat, ExportReport, ExportRequest, QualificationDto, QualificationInput,
    RetentionDto,
};
use crate::rfc3339;
use crate::session::Session;
use airlock_deliver::bag::{
    BagInfo, BagRecipients, BagSigner, EncryptedBagWriter, PlaintextBagWriter,
};
use airlock_deliver::formats::coco::{write_coco, CocoCategory, CocoDataset, CocoImage, CocoShape};
use airlock_deliver::formats::conll::{write_conll, ConllDocument};
use airlock_deliver::formats::csv::{write_csv, ClassificationRow};
use airlock_deliver::formats::jsonl::{write_jsonl, ExportLabel, JsonlRecord, LabelValue};
use airlock_deliver::formats::{Geometry, TextSpan};
use airlock_model::{Action, AnnotationValue, EventKind, Outcome, ReasonId, Task};
use secrecy::SecretString;
use sqlx::Row;
use std::collections::BTreeMap;
use std::path::Path;
use time::Date;

/// Days before the retention date when reminders start.
pub const REMIND_DAYS: i64 = 30;

fn ymd(s: &str) -> Result<Date, AppError> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| AppError::invalid("Dates must be written YYYY-MM-DD."))
}

/// Byte offset → character offset in `text` (exports count Unicode scalar values).
fn char_at(text: &str, byte: u32) -> usize {
    text.get(..byte as usize).map_or(0, |t| t.chars().count())
}

fn bag_err(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::InvalidInput, sentence(&e.to_string()))
}

/// What a delivered item holds.
enum DeliveredContent {
    /// De-identified text.
    Text(String),
    /// A de-identified image (DICOM or PNG) of the item with this id: read, written to
    /// the bag and described one at a time, so an export never holds every image.
    Image(String),
}

/// A delivered image as the labels refer to it: its file in the bag and its size.
struct DeliveredImage {
    file: String,
    width: u32,
    height: u32,
    frames: u32,
}

/// The bag being written: a plaintext directory or an age-encrypted tar (boxed: the
/// writers are large and differ in size).
enum BagOut {
    Plain(Box<PlaintextBagWriter>),
    Encrypted(Box<EncryptedBagWriter>),
}

impl BagOut {
    /// Adds a payload file under `data/`.
    fn payload(&mut self, path: &str, bytes: &[u8]) -> Result<(), AppError> {
        match self {
            Self::Plain(w) => w.add_payload_bytes(path, bytes),
            Self::Encrypted(w) => w.add_payload_bytes(path, bytes),
        }
        .map_err(bag_err)
    }

    /// Adds a tag file (`compliance/…`).
    fn tag(&mut self, path: &str, bytes: &[u8]) -> Result<(), AppError> {
        match self {
            Self::Plain(w) => w.add_tag_file(path, bytes),
            Self::Encrypted(w) => w.add_tag_file(path, bytes),
        }
        .map_err(bag_err)
    }
}

/// One delivered item: its number, content and the label sets to deliver.
struct Delivered {
    number: u64,
    content: DeliveredContent,
    gold: Option<AnnotationValue>,
    annotators: Vec<(String, AnnotationValue)>,
}

/// The shapes of one label set as JSONL labels and COCO shapes (by frame; `None` for a
/// single-frame image).
fn shape_labels(
    v: &AnnotationValue,
    annotator: &Option<String>,
    gold: bool,
    multi_frame: bool,
    labels: &mut Vec<ExportLabel>,
    coco: &mut BTreeMap<Option<u32>, Vec<CocoShape>>,
) {
    let boxes = v.boxes.iter().map(|b| {
        let geometry = Geometry::Box {
            x: b.x,
            y: b.y,
            width: b.w,
            height: b.h,
        };
        (b.label.clone(), geometry, b.frame)
    });
    let polygons = v.polygons.iter().map(|p| {
        let geometry = Geometry::Polygon {
            points: p.points.clone(),
        };
        (p.label.clone(), geometry, p.frame)
    });
    for (category, geometry, frame) in boxes.chain(polygons) {
        let frame = multi_frame.then_some(frame);
        coco.entry(frame).or_default().push(CocoShape {
            category: category.clone(),
            geometry: geometry.clone(),
            annotator: annotator.clone(),
            gold,
        });
        labels.push(ExportLabel {
            value: LabelValue::Shape {
                category,
                geometry,
                frame,
            },
            annotator: annotator.clone(),
            gold,
        });
    }
}

impl Session {
    /// Records a team member's training, attestation or certification (for the compliance
    /// package). Lead only; audited.
    pub async fn add_qualification(&self, q: &QualificationInput) -> Result<(), AppError> {
        let _grant = self.authorize(Action::ManageQualifications).await?;
        if !matches!(
            q.kind.as_str(),
            "training" | "attestation" | "certification"
        ) {
            return Err(AppError::invalid(
                "A qualification is a training, an attestation or a certification.",
            ));
        }
        let title = q.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(AppError::invalid(
                "A qualification's title is 1 to 200 characters.",
            ));
        }
        ymd(&q.date)?;
        let mut tx = self.begin().await?;
        let user = crate::users::find_user(&mut tx, &q.user).await?;
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO qualifications (id, user_id, kind, title, date, note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(user.id.to_string())
        .bind(&q.kind)
        .bind(title)
        .bind(q.date.trim())
        .bind(q.note.as_deref().map(str::trim).filter(|n| !n.is_empty()))
        .bind(self.user_id.to_string())
        .bind(rfc3339(self.now()))
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::QualificationRecorded, Outcome::Success);
        d.object_kind = Some("user".into());
        d.object_id = Some(user.id.to_string());
        d.detail.insert("qualification".into(), id.into());
        d.detail.insert("kind".into(), q.kind.clone().into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every recorded qualification. Lead only.
    pub async fn qualifications(&self) -> Result<Vec<QualificationDto>, AppError> {
        let _grant = self.authorize(Action::ManageQualifications).await?;
        self.read_qualifications().await
    }

    async fn read_qualifications(&self) -> Result<Vec<QualificationDto>, AppError> {
        let rows = sqlx::query(
            "SELECT u.name, q.kind, q.title, q.date, q.note FROM qualifications q JOIN users u ON u.id = q.user_id ORDER BY u.name, q.date",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| QualificationDto {
                user: r.get(0),
                kind: r.get(1),
                title: r.get(2),
                date: r.get(3),
                note: r.get(4),
            })
            .collect())
    }

    /// Sets the project's retention date and the rule behind it. Lead and compliance;
    /// audited with old and new date.
    pub async fn set_retention(&self, date: &str, rule: Option<&str>) -> Result<(), AppError> {
        let _grant = self.authorize(Action::SetRetention).await?;
        let d = ymd(date)?;
        let rule = rule.map(str::trim).filter(|r| !r.is_empty());
        if rule.is_some_and(|r| r.chars().count() > 500) {
            return Err(AppError::invalid(
                "The retention rule must be at most 500 characters.",
            ));
        }
        let old = self.setting("retention_date").await?;
        let mut tx = self.begin().await?;
        for (k, v) in [
            ("retention_date", Some(d.to_string())),
            ("retention_rule", rule.map(String::from)),
        ] {
            match v {
                Some(v) => {
                    sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                        .bind(k)
                        .bind(v)
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    sqlx::query("DELETE FROM settings WHERE key = ?")
                        .bind(k)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        let mut ev = self.draft(EventKind::RetentionSet, Outcome::Success);
        ev.object_kind = Some("vault".into());
        ev.detail
            .insert("retention_date".into(), d.to_string().into());
        if let Some(o) = old {
            ev.detail.insert("old_retention_date".into(), o.into());
        }
        self.record(&mut tx, ev).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The retention date, whether destruction may start, reminders, and every deliverable
    /// that left the vault. Lead and compliance.
    pub async fn retention(&self) -> Result<RetentionDto, AppError> {
        let _grant = self.authorize(Action::ViewRetention).await?;
        self.read_retention().await
    }

    pub(crate) async fn read_retention(&self) -> Result<RetentionDto, AppError> {
        let date = self.setting("retention_date").await?;
        let rule = self.setting("retention_rule").await?;
        let today = self.now().date();
        let days_left = date
            .as_deref()
            .map(ymd)
            .transpose()?
            .map(|d| (d - today).whole_days());
        let last_audit_export: Option<String> = sqlx::query_scalar(
            "SELECT ts FROM audit_events WHERE action = 'audit_exported' ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(RetentionDto {
            due: days_left.is_some_and(|d| d <= 0),
            remind: days_left.is_some_and(|d| d <= REMIND_DAYS),
            retention_date: date,
            rule,
            days_left,
            exports: self.read_exports().await?,
            last_audit_export,
        })
    }

    pub(crate) async fn read_exports(&self) -> Result<Vec<ExportDto>, AppError> {
        let rows = sqlx::query(
            "SELECT e.id, e.created_at, u.name, e.form, e.recipient, e.what, e.file_sha256 FROM exports e \
             LEFT JOIN users u ON u.id = e.created_by ORDER BY e.created_at",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ExportDto {
                id: r.get(0),
                created_at: r.get(1),
                created_by: r.get(2),
                form: r.get(3),
                recipient: r.get(4),
                what: r.get(5),
                file_sha256: r.get(6),
            })
            .collect())
    }

    /// The items of a schema with labels to deliver, by item number.
    async fn delivered(
        &self,
        schema_id: &str,
        task: Task,
        gold_only: bool,
    ) -> Result<Vec<Delivered>, AppError> {
        let aliases: BTreeMap<String, String> = sqlx::query_scalar::<_, String>(
            "SELECT annotator_id FROM assignments WHERE schema_id = ? GROUP BY annotator_id ORDER BY MIN(assigned_at), annotator_id",
        )
        .bind(schema_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, format!("A{}", i + 1)))
        .collect();
        let items: Vec<(String, i64)> = sqlx::query_as(
            "SELECT DISTINCT i.id, i.number FROM items i JOIN assignments a ON a.item_id = i.id \
             WHERE a.schema_id = ? AND (a.was_submitted = 1 OR EXISTS (SELECT 1 FROM gold g WHERE g.item_id = i.id AND g.schema_id = ?)) \
             ORDER BY i.number",
        )
        .bind(schema_id)
        .bind(schema_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for (item, number) in items {
            let gold: Option<String> =
                sqlx::query_scalar("SELECT value FROM gold WHERE item_id = ? AND schema_id = ?")
                    .bind(&item)
                    .bind(schema_id)
                    .fetch_optional(&self.pool)
                    .await?;
            let gold = gold
                .map(|g| serde_json::from_str::<AnnotationValue>(&g))
                .transpose()
                .map_err(|_| crate::annotate::damaged())?;
            if gold_only && gold.is_none() {
                continue;
            }
            let mut annotators = Vec::new();
            if !gold_only {
                let rows = sqlx::query(
                    "SELECT a.annotator_id, n.value FROM assignments a JOIN annotations n ON n.assignment_id = a.id \
                     WHERE a.item_id = ? AND a.schema_id = ? AND a.was_submitted = 1 ORDER BY a.assigned_at, a.id",
                )
                .bind(&item)
                .bind(schema_id)
                .fetch_all(&self.pool)
                .await?;
                for r in rows {
                    let alias = aliases
                        .get(&r.get::<String, _>(0))
                        .cloned()
                        .unwrap_or_else(|| "A?".into());
                    let v = serde_json::from_str(&r.get::<String, _>(1))
                        .map_err(|_| crate::annotate::damaged())?;
                    annotators.push((alias, v));
                }
                annotators.sort_by(|a, b| a.0.cmp(&b.0));
            }
            let content = if task.is_text() {
                DeliveredContent::Text(self.released_text(&item).await?)
            } else {
                DeliveredContent::Image(item)
            };
            out.push(Delivered {
                number: number as u64,
                content,
                gold,
                annotators,
            });
        }
        Ok(out)
    }

    /// Writes the deliverable: labels (JSONL always; CoNLL for spans; CSV for
    /// classification) and each item's de-identified text under `data/`, and under
    /// `compliance/` the signed audit log, the access log, the redaction logs, the method
    /// statement, quality metrics, qualifications, the schema and guideline, and how to
    /// verify. Signed by the lead; age-encrypted to the recipients (or a passphrase), or —
    /// only when asked — a plaintext bag directory, recorded as such. Lead only; a reason
    /// is required; audited.
    pub async fn export_deliverable(
        &mut self,
        req: &ExportRequest,
    ) -> Result<ExportReport, AppError> {
        let _grant = self.authorize(Action::Export).await?;
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::invalid(
                "Say why the data is exported (1 to 2,000 characters).",
            ));
        }
        let recipients: Vec<String> = req
            .recipients
            .iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        let passphrase = req.passphrase.as_deref().filter(|p| !p.is_empty());
        if !req.plaintext && recipients.is_empty() && passphrase.is_none() {
            return Err(AppError::invalid(
                "Name at least one age recipient (age1…), or a passphrase, to encrypt the bag to.",
            ));
        }
        if req.plaintext && (!recipients.is_empty() || passphrase.is_some()) {
            return Err(AppError::invalid("A plaintext export has no recipients; leave them out or drop the plaintext option."));
        }
        if !recipients.is_empty() && passphrase.is_some() {
            return Err(AppError::invalid(
                "age encrypts either to recipients or to a passphrase, not both.",
            ));
        }
        for r in &recipients {
            if !r.starts_with("age1") || r.len() < 50 {
                return Err(AppError::invalid(
                    "A recipient must be an age X25519 public key (age1…).",
                ));
            }
        }
        let personal = self.keys.personal.clone().ok_or_else(|| {
            AppError::new(ErrorCode::Forbidden, "This session has no signing key.")
        })?;
        let mut conn = self.pool.acquire().await?;
        let schema_id = match req.schema_id.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(id) => id.trim().to_string(),
            None => only_published_schema(&mut conn).await?,
        };
        let schema = load_schema(&mut conn, &schema_id).await?;
        drop(conn);
        let items = self
            .delivered(&schema_id, schema.task, req.gold_only)
            .await?;
        if items.is_empty() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                if req.gold_only {
                    "No item of this schema has a gold label yet."
                } else {
                    "No item of this schema has submitted labels yet."
                },
            ));
        }
        let export_id = uuid::Uuid::new_v4().to_string();
        let now = self.now();
        let organization = self
            .setting("organization")
            .await?
            .unwrap_or_else(|| self.project_name.clone());
        let info = BagInfo {
            source_organization: organization,
            external_identifier: export_id.clone(),
            software_agent: format!("Airlock {}", env!("CARGO_PKG_VERSION")),
            created_at: now,
            fields: vec![
                (
                    "External-Description".into(),
                    format!(
                        "{} v{} labels ({}) with compliance package",
                        schema.name,
                        schema.version,
                        if req.gold_only {
                            "gold only"
                        } else {
                            "gold and every annotator"
                        }
                    ),
                ),
                ("Airlock-Vault-Id".into(), self.vault.id().to_string()),
            ],
        };
        let out = Path::new(req.out.trim());
        let bag_name = format!("airlock-export-{}", &export_id[..8]);
        let contributor = info.source_organization.clone();
        // The bag is started first, so that each image goes in as soon as it is read and is
        // let go before the next: an export never holds every image in memory. Dropped on
        // any error below, the writer removes what it wrote.
        let mut bag = if req.plaintext {
            BagOut::Plain(Box::new(
                PlaintextBagWriter::create(out, info).map_err(bag_err)?,
            ))
        } else {
            let rcpt = match passphrase {
                Some(p) => BagRecipients::Passphrase(SecretString::from(p.to_string())),
                None => BagRecipients::Keys(recipients.clone()),
            };
            BagOut::Encrypted(Box::new(
                EncryptedBagWriter::create(out, &bag_name, &rcpt, info).map_err(bag_err)?,
            ))
        };
        let mut images = Vec::with_capacity(items.len());
        for it in &items {
            images.push(match &it.content {
                DeliveredContent::Text(_) => None,
                DeliveredContent::Image(item) => {
                    let (bytes, dicom, size) = self.released_image_file(item).await?;
                    let ext = if dicom { "dcm" } else { "png" };
                    let file = format!("images/item-{:06}.{ext}", it.number);
                    bag.payload(&file, &bytes)?;
                    Some(DeliveredImage {
                        file,
                        width: size.columns,
                        height: size.rows,
                        frames: size.frames,
                    })
                }
            });
        }
        // Texts, and labels.
        let mut records = Vec::new();
        let mut conll = Vec::new();
        let mut csv_rows = Vec::new();
        let mut coco_images = Vec::new();
        let mut formats = vec!["jsonl".to_string()];
        for (it, image) in items.iter().zip(images) {
            let text = match &it.content {
                DeliveredContent::Text(t) => Some(t.as_str()),
                DeliveredContent::Image(_) => None,
            };
            let (file, size) = match image {
                Some(i) => (i.file, Some((i.width, i.height, i.frames))),
                None => {
                    let file = format!("texts/item-{:06}.txt", it.number);
                    bag.payload(&file, text.unwrap_or_default().as_bytes())?;
                    (file, None)
                }
            };
            let mut coco: BTreeMap<Option<u32>, Vec<CocoShape>> = BTreeMap::new();
            if matches!(size, Some((_, _, 1))) {
                coco.insert(None, Vec::new());
            }
            let mut labels = Vec::new();
            let sets: Vec<(Option<String>, bool, &AnnotationValue)> = it
                .gold
                .iter()
                .map(|g| (None, true, g))
                .chain(
                    it.annotators
                        .iter()
                        .map(|(a, v)| (Some(a.clone()), false, v)),
                )
                .collect();
            for (annotator, gold, v) in &sets {
                for s in v.spans.iter().filter(|_| text.is_some()) {
                    let text = text.unwrap_or_default();
                    labels.push(ExportLabel {
                        value: LabelValue::Span(TextSpan {
                            start: char_at(text, s.start),
                            end: char_at(text, s.end),
                            label: s.label.clone(),
                        }),
                        annotator: annotator.clone(),
                        gold: *gold,
                    });
                }
                if let Some((_, _, frames)) = size {
                    shape_labels(v, annotator, *gold, frames > 1, &mut labels, &mut coco);
                }
                for l in &v.labels {
                    labels.push(ExportLabel {
                        value: LabelValue::Class(l.clone()),
                        annotator: annotator.clone(),
                        gold: *gold,
                    });
                    csv_rows.push(ClassificationRow {
                        item_id: it.number.to_string(),
                        file: Some(file.clone()),
                        annotator: annotator.clone(),
                        gold: *gold,
                        label: l.clone(),
                    });
                }
                if let (Task::TextSpans, Some(text)) = (schema.task, text) {
                    conll.push(ConllDocument {
                        doc_id: format!(
                            "item-{:06}-{}",
                            it.number,
                            annotator.clone().unwrap_or_else(|| "gold".into())
                        ),
                        text: text.to_string(),
                        spans: v
                            .spans
                            .iter()
                            .map(|s| TextSpan {
                                start: char_at(text, s.start),
                                end: char_at(text, s.end),
                                label: s.label.replace(char::is_whitespace, "_"),
                            })
                            .collect(),
                    });
                }
            }
            if let Some((width, height, _)) = size {
                for (frame, shapes) in coco {
                    coco_images.push(CocoImage {
                        item_id: it.number.to_string(),
                        file_name: file.clone(),
                        frame,
                        width,
                        height,
                        shapes,
                    });
                }
            }
            records.push(JsonlRecord {
                item_id: it.number.to_string(),
                file: Some(file),
                labels,
            });
        }
        let mut jsonl = Vec::new();
        write_jsonl(&mut jsonl, &records).map_err(bag_err)?;
        bag.payload("labels.jsonl", &jsonl)?;
        if schema.task == Task::TextSpans {
            let mut out = Vec::new();
            write_conll(&mut out, &conll).map_err(bag_err)?;
            bag.payload("labels.conll", &out)?;
            formats.push("conll".into());
        }
        if matches!(schema.task, Task::ImageBoxes | Task::ImagePolygons) {
            let dataset = CocoDataset {
                description: format!("{} v{}", schema.name, schema.version),
                version: schema.version.to_string(),
                contributor,
                created_at: now,
                categories: schema
                    .body
                    .labels
                    .iter()
                    .map(|l| CocoCategory {
                        name: l.name.clone(),
                        supercategory: String::new(),
                    })
                    .collect(),
                images: coco_images,
            };
            let mut out = Vec::new();
            write_coco(&mut out, &dataset).map_err(bag_err)?;
            bag.payload("labels.coco.json", &out)?;
            formats.push("coco".into());
        }
        if schema.task.is_classification() {
            let mut out = Vec::new();
            write_csv(&mut out, &csv_rows).map_err(bag_err)?;
            bag.payload("labels.csv", &out)?;
            formats.push("csv".into());
        }
        // Compliance package.
        let mut tx = self.begin().await?;
        let (audit, events) = self.audit_bytes(&mut tx, ExportFormat::Jsonl).await?;
        tx.commit().await?;
        let compliance = self
            .compliance_files(&schema, &items, &audit, events.len())
            .await?;
        let what = format!(
            "{} items of {} v{} ({}), formats {}",
            items.len(),
            schema.name,
            schema.version,
            if req.gold_only {
                "gold"
            } else {
                "gold and annotators"
            },
            formats.join(", ")
        );
        let signer = BagSigner {
            key: &personal.signing,
            name: self.user_name.clone(),
            user_id: self.user_id.to_string(),
            signed_at: now,
        };
        for (p, b) in &compliance {
            bag.tag(p, b)?;
        }
        let (summary, file_sha256, path, form, recipient) = match bag {
            BagOut::Plain(w) => {
                let (summary, dir) = w.finish(&signer).map_err(bag_err)?;
                (
                    summary,
                    None,
                    dir.display().to_string(),
                    "BagIt bag, plaintext directory".to_string(),
                    "none (plaintext)".to_string(),
                )
            }
            BagOut::Encrypted(w) => {
                let s = w.finish(&signer).map_err(bag_err)?;
                let recipient = if passphrase.is_some() {
                    "passphrase".to_string()
                } else {
                    recipients.join(", ")
                };
                (
                    s.bag,
                    Some(s.file_sha256.clone()),
                    s.path.display().to_string(),
                    "BagIt bag, age-encrypted tar".to_string(),
                    recipient,
                )
            }
        };
        let mut tx = self.begin().await?;
        let reason_id = ReasonId::new().to_string();
        sqlx::query("INSERT INTO reasons (id, text, created_at) VALUES (?, ?, ?)")
            .bind(&reason_id)
            .bind(reason)
            .bind(rfc3339(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO exports (id, created_at, created_by, form, recipient, what, items, file_sha256, plaintext, reason_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&export_id)
        .bind(rfc3339(now))
        .bind(self.user_id.to_string())
        .bind(&form)
        .bind(&recipient)
        .bind(&what)
        .bind(items.len() as i64)
        .bind(&file_sha256)
        .bind(req.plaintext as i64)
        .bind(&reason_id)
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::DeliverableExported, Outcome::Success);
        d.object_kind = Some("export".into());
        d.object_id = Some(export_id.clone());
        d.detail.insert("items".into(), items.len().into());
        d.detail.insert("schema".into(), schema_id.clone().into());
        d.detail.insert("plaintext".into(), req.plaintext.into());
        d.detail.insert(
            "recipients".into(),
            if passphrase.is_some() {
                "passphrase".into()
            } else {
                recipients.len().into()
            },
        );
        d.detail.insert(
            "tagmanifest_sha256".into(),
            summary.tagmanifest_sha256.clone().into(),
        );
        if let Some(h) = &file_sha256 {
            d.detail.insert("file_sha256".into(), h.clone().into());
        }
        d.detail.insert("reason_id".into(), reason_id.into());
        d.detail
            .insert("reason_sha256".into(), sha_hex(reason).into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(ExportReport {
            export_id,
            how_to_verify: if req.plaintext {
                format!("bagit.py --validate {path}   (or: airlock bag validate {path})")
            } else {
                format!("age -d -i KEY -o bag.tar {path} && tar -xf bag.tar && bagit.py --validate {bag_name}   (or: airlock bag validate {bag_name})")
            },
            path,
            items: items.len() as u64,
            payload_files: summary.payload_files,
            formats,
            file_sha256,
            tagmanifest_sha256: summary.tagmanifest_sha256,
            plaintext: req.plaintext,
        })
    }

    /// The `compliance/` tag files.
    async fn compliance_files(
        &self,
        schema: &crate::json::SchemaDto,
        items: &[Delivered],
        audit: &[u8],
        events: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, AppError> {
        let mut out = Vec::new();
        out.push(("compliance/audit-log.jsonl".to_string(), audit.to_vec()));
        // Access log: logins, sessions and item views (ids, roles, times; no content).
        let mut access = b"time,actor_id,actor_role,event,object_kind,object_id,detail\n".to_vec();
        let rows = sqlx::query(
            "SELECT ts, COALESCE(actor_id, ''), COALESCE(actor_role, ''), action, COALESCE(object_kind, ''), COALESCE(object_id, ''), detail \
             FROM audit_events WHERE action IN ('login', 'logout', 'login_failed', 'login_refused', 'item_viewed', 'original_viewed', 'source_items_viewed', 'break_glass_started') ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        {
            let mut w = csv::Writer::from_writer(&mut access);
            for r in rows {
                let f: Vec<String> = (0..7).map(|i| r.get::<String, _>(i)).collect();
                w.write_record(&f).map_err(|_| {
                    AppError::new(ErrorCode::Internal, "The access log could not be written.")
                })?;
            }
            w.flush().map_err(|_| {
                AppError::new(ErrorCode::Internal, "The access log could not be written.")
            })?;
        }
        out.push(("compliance/access-log.csv".into(), access));
        // Redaction logs of the delivered items (offsets, categories, actions, rules).
        let mut redactions = Vec::new();
        let mut categories: BTreeMap<String, u64> = BTreeMap::new();
        let mut policy = None;
        let mut methods = std::collections::BTreeSet::new();
        for it in items {
            let row = sqlx::query(
                "SELECT d.log_blob, d.log_size, d.policy, d.categories, d.method FROM deid_results d JOIN items i ON i.id = d.item_id WHERE i.number = ?",
            )
            .bind(it.number as i64)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { continue };
            policy = Some(row.get::<String, _>(2));
            methods.insert(row.get::<String, _>(4));
            let counts: BTreeMap<String, u64> =
                serde_json::from_str(&row.get::<String, _>(3)).unwrap_or_default();
            for (k, v) in counts {
                *categories.entry(k).or_default() += v;
            }
            if let (Some(name), Some(size)) = (
                row.get::<Option<String>, _>(0),
                row.get::<Option<i64>, _>(1),
            ) {
                let blobs = self.vault.blobs(&self.keys.work, None);
                let log = blobs.read_all(&airlock_vault::BlobRef {
                    tier: airlock_vault::Tier::Work,
                    name,
                    size: size as u64,
                })?;
                let spans: serde_json::Value =
                    serde_json::from_slice(&log).map_err(|_| crate::annotate::damaged())?;
                redactions.extend(
                    serde_json::to_vec(
                        &serde_json::json!({"item": it.number, "redactions": spans}),
                    )
                    .expect("json"),
                );
                redactions.push(b'\n');
            }
        }
        out.push(("compliance/redaction-log.jsonl".into(), redactions));
        let policy = policy.unwrap_or_else(|| "safe_harbor".into());
        let method = format!(
            "# De-identification method statement\n\nText was de-identified inside Airlock to the HIPAA Safe Harbor standard (45 CFR 164.514(b)(2)) with policy `{policy}`:\n{}\nEvery item was checked by a lead beside its original (or released by a signed sample whose validation found no missed identifier) before annotators saw it; each lead's additions and removals are in the redaction log as rule `manual`.\n\nIdentifiers replaced in the delivered items, by category:\n\n{}\n",
            if policy == "pseudonymize" {
                "identifiers were replaced with consistent keyed surrogates and dates shifted by a keyed per-patient offset; ages over 89 became 90+ and ZIP codes were cut to three digits (000 for restricted areas). Surrogates and shifted dates rely on an expert determination (45 CFR 164.514(b)(1)) for that part."
            } else {
                "identifiers were replaced with category placeholders ([NAME], [MRN], …); dates kept their year only, ages over 89 became 90+, and ZIP codes were cut to three digits (000 for restricted areas)."
            },
            categories.iter().map(|(k, v)| format!("- {k}: {v}")).collect::<Vec<_>>().join("\n")
        );
        let mut method = method;
        if methods.contains("ps315_dicom") {
            method.push_str(&format!(
                "\nDICOM objects were de-identified to the Basic Application Level Confidentiality Profile of DICOM PS3.15 Annex E (Table E.1-1, edition {}), with keyed `2.25.` UIDs consistent across the project; the options and CID 7050 codes applied are recorded in each file (DeidentificationMethodCodeSequence) and in the redaction log. Burned-in text was blacked out where OCR or a device template found it, or a lead drew it, and re-scanned.\n",
                airlock_deid_dicom::PROFILE_EDITION
            ));
        }
        if methods.contains(crate::deid_image_items::METHOD) {
            method.push_str("\nPNG and JPEG images are delivered as new PNG files of their pixels alone: no EXIF, XMP, IPTC, colour profile, text chunk or comment of the original survives, and each was turned upright by its EXIF orientation first. Burned-in text was blacked out where OCR read it or a lead drew it, and the result re-scanned; the redaction log lists what was removed (kinds and counts, never values).\n");
        }
        out.push(("compliance/method-statement.md".into(), method.into_bytes()));
        let metrics = match self.agreement(&schema.id).await {
            Ok(a) => serde_json::to_vec_pretty(&a).expect("json"),
            Err(e) if e.code == ErrorCode::Forbidden => b"{}".to_vec(),
            Err(e) => return Err(e),
        };
        out.push(("compliance/quality-metrics.json".into(), metrics));
        out.push((
            "compliance/qualifications.json".into(),
            serde_json::to_vec_pretty(&self.read_qualifications().await?).expect("json"),
        ));
        out.push((
            "compliance/schema.json".into(),
            serde_json::to_vec_pretty(schema).expect("json"),
        ));
        out.push((
            "compliance/guideline.md".into(),
            schema.guideline.clone().into_bytes(),
        ));
        out.push((
            "compliance/README.txt".into(),
            format!(
                "Airlock compliance package\n\naudit-log.jsonl   the vault's whole audit trail ({events} events), hash-chained and signed: airlock audit verify compliance/audit-log.jsonl\naccess-log.csv    logins, sessions and item views (ids and roles only)\nredaction-log.jsonl  per item: offsets, category, action and rule of every replaced identifier (never the original text)\nmethod-statement.md  how the data was de-identified\nquality-metrics.json inter-annotator agreement, with the items compared\nqualifications.json  training records and attestations of the team\nschema.json, guideline.md  the label schema and guideline version the labels were made under\n\nThe bag's tag manifests are signed by the exporting lead: airlock-signature.txt.\n"
            )
            .into_bytes(),
        ));
        Ok(out)
    }
}

/// The id of the single published schema, for an export that names none.
async fn only_published_schema(conn: &mut sqlx::SqliteConnection) -> Result<String, AppError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM schemas WHERE status = 'published' ORDER BY published_at",
    )
    .fetch_all(&mut *conn)
    .await?;
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(AppError::new(
            ErrorCode::Conflict,
            "No schema is published yet, so there are no labels to deliver.",
        )),
        _ => Err(AppError::invalid(
            "Several schemas are published: name the one to deliver.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_offsets_follow_utf8() {
        let t = "Zoë has pneumonia";
        let b = t.find("pneumonia").unwrap() as u32;
        assert_eq!(char_at(t, b), 8);
        assert!(ymd("2026-02-30").is_err());
        assert_eq!(ymd("2026-12-01").unwrap().to_string(), "2026-12-01");
    }
}
