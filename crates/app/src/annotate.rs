//! Labelling: versioned schemas and guidelines (lead), assignment of released items with
//! k-way overlap (lead), the annotator's queue, labels saved per change with full history
//! (a reason once labels were submitted), and submission. Annotators see only their own
//! assignments, only de-identified content, and items by number — never a file name.

use crate::error::{AppError, ErrorCode};
use crate::json::{
    AnnotateView, AnnotatorCount, AssignPlan, AssignRequest, AssignmentStatus, ProgressRow,
    QueueEntry, SaveResult, SchemaDto, SchemaInput, SchemaStatus,
};
use crate::rfc3339;
use crate::session::Session;
use airlock_model::{
    Action, AnnotationValue, Content, EventKind, Outcome, ReasonId, Role, SchemaBody, Task, UserId,
};
use airlock_vault::{BlobRef, Tier};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};
use std::collections::{BTreeMap, HashSet};

/// Items assigned in one request, at most.
const MAX_ASSIGN: usize = 100_000;

/// Refuses a polygon whose edges cross or touch (a figure eight): its area, IoU and
/// agreement have no meaning, so it is never stored.
pub(crate) fn refuse_crossing_polygons(value: &AnnotationValue) -> Result<(), AppError> {
    for (i, p) in value.polygons.iter().enumerate() {
        let region = airlock_agreement::PolygonRegion::new(p.points.clone(), p.label.clone());
        if !region.is_comparable() {
            return Err(AppError::invalid(format!(
                "Polygon {} crosses or touches itself; redraw it so that its edges do not cross.",
                i + 1
            )));
        }
    }
    Ok(())
}

pub(crate) fn damaged() -> AppError {
    AppError::new(ErrorCode::VaultError, "An annotation record is damaged.")
}

pub(crate) fn sha_hex(s: &str) -> String {
    sha_hex_bytes(s.as_bytes())
}

/// SHA-256 of bytes, hex.
pub(crate) fn sha_hex_bytes(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Loads a schema version.
pub(crate) async fn load_schema(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<SchemaDto, AppError> {
    let r = sqlx::query(
        "SELECT id, name, version, task, body, guideline, status, created_at, published_at, \
         guideline_pdf_sha256, guideline_pdf_size, guideline_pdf_pages FROM schemas WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No schema has this id."))?;
    schema_row(&r)
}

fn schema_row(r: &sqlx::sqlite::SqliteRow) -> Result<SchemaDto, AppError> {
    Ok(SchemaDto {
        id: r.get(0),
        name: r.get(1),
        version: r.get::<i64, _>(2) as u32,
        task: Task::parse(&r.get::<String, _>(3)).ok_or_else(damaged)?,
        body: serde_json::from_str(&r.get::<String, _>(4)).map_err(|_| damaged())?,
        guideline: r.get(5),
        guideline_pdf: match (
            r.get::<Option<String>, _>(9),
            r.get::<Option<i64>, _>(10),
            r.get::<Option<i64>, _>(11),
        ) {
            (Some(sha256), Some(size), Some(pages)) => Some(crate::json::GuidelinePdf {
                sha256,
                size: size as u64,
                pages: pages as u32,
            }),
            _ => None,
        },
        status: match r.get::<String, _>(6).as_str() {
            "draft" => SchemaStatus::Draft,
            "published" => SchemaStatus::Published,
            _ => return Err(damaged()),
        },
        created_at: r.get(7),
        published_at: r.get(8),
    })
}

/// "Discharge entities v2".
pub(crate) fn schema_label(s: &SchemaDto) -> String {
    format!("{} v{}", s.name, s.version)
}

impl Session {
    /// Creates a draft version of a schema (version 1, or one more than the last of that
    /// name). Keys and colours are filled in. Lead only; audited.
    pub async fn schema_create(&self, input: &SchemaInput) -> Result<SchemaDto, AppError> {
        let _grant = self.authorize(Action::ManageSchemas).await?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "A schema name is 1 to 100 printable characters.",
            ));
        }
        if input.guideline.len() > 1_000_000 {
            return Err(AppError::invalid("The guideline must be under 1 MB."));
        }
        let pdf = match input.guideline_pdf.as_deref().filter(|p| !p.is_empty()) {
            Some(b64) => {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .map_err(|_| {
                        AppError::invalid("The guideline PDF did not arrive whole (not base64).")
                    })?;
                let pages = crate::guidelines::check_pdf(&bytes)?;
                let blob = self
                    .vault
                    .blobs(&self.keys.work, None)
                    .put(Tier::Work, &bytes[..])?;
                Some((blob, sha_hex_bytes(&bytes), pages))
            }
            None => None,
        };
        let body: SchemaBody = input
            .body
            .clone()
            .normalise(input.task)
            .map_err(|e| AppError::invalid(crate::error::sentence(&e.to_string())))?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = rfc3339(self.now());
        let mut tx = self.begin().await?;
        let version: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM schemas WHERE name = ?")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO schemas (id, name, version, task, body, guideline, status, created_at, created_by, \
             guideline_pdf_blob, guideline_pdf_size, guideline_pdf_sha256, guideline_pdf_pages) \
             VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(name)
        .bind(version)
        .bind(input.task.as_str())
        .bind(serde_json::to_string(&body).expect("schemas serialise"))
        .bind(&input.guideline)
        .bind(&now)
        .bind(self.user_id.to_string())
        .bind(pdf.as_ref().map(|(b, _, _)| b.name.clone()))
        .bind(pdf.as_ref().map(|(b, _, _)| b.size as i64))
        .bind(pdf.as_ref().map(|(_, sha, _)| sha.clone()))
        .bind(pdf.as_ref().map(|(_, _, pages)| i64::from(*pages)))
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::SchemaCreated, Outcome::Success);
        d.object_kind = Some("schema".into());
        d.object_id = Some(id.clone());
        d.detail.insert("version".into(), version.into());
        d.detail.insert("task".into(), input.task.as_str().into());
        d.detail.insert("labels".into(), body.labels.len().into());
        if let Some((_, sha, pages)) = &pdf {
            d.detail
                .insert("guideline_pdf_sha256".into(), sha.clone().into());
            d.detail
                .insert("guideline_pdf_pages".into(), (*pages).into());
        }
        self.record(&mut tx, d).await?;
        let dto = load_schema(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(dto)
    }

    /// Publishes a draft: it is frozen and can be assigned. Lead only; audited.
    pub async fn schema_publish(&self, id: &str) -> Result<SchemaDto, AppError> {
        let _grant = self.authorize(Action::ManageSchemas).await?;
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE schemas SET status = 'published', published_at = ? WHERE id = ? AND status = 'draft'")
            .bind(rfc3339(self.now()))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "Only a draft schema can be published.",
            ));
        }
        let dto = load_schema(&mut tx, id).await?;
        let mut d = self.draft(EventKind::SchemaPublished, Outcome::Success);
        d.object_kind = Some("schema".into());
        d.object_id = Some(id.to_string());
        d.detail.insert("version".into(), dto.version.into());
        d.detail
            .insert("guideline_sha256".into(), sha_hex(&dto.guideline).into());
        if let Some(pdf) = &dto.guideline_pdf {
            d.detail
                .insert("guideline_pdf_sha256".into(), pdf.sha256.clone().into());
        }
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(dto)
    }

    /// Every schema version (annotators and reviewers see published ones only).
    pub async fn schema_list(&self) -> Result<Vec<SchemaDto>, AppError> {
        let _grant = self.authorize(Action::ViewSchemas).await?;
        let only_published = self.role != Role::Lead;
        let rows = sqlx::query(
            "SELECT id, name, version, task, body, guideline, status, created_at, published_at, \
             guideline_pdf_sha256, guideline_pdf_size, guideline_pdf_pages FROM schemas \
             WHERE (? = 0 OR status = 'published') ORDER BY name, version",
        )
        .bind(only_published as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(schema_row).collect()
    }

    /// Items released for annotation (de-identification validated and signed off) for a task.
    async fn eligible_items(
        &self,
        task: Task,
        batch: Option<&str>,
    ) -> Result<Vec<String>, AppError> {
        // Text tasks take de-identified text; image tasks de-identified DICOM, PNG and JPEG.
        let kind = if task.is_text() {
            "i.kind = 'text'"
        } else {
            "((i.kind = 'dicom' AND d.method = 'ps315_dicom') OR (i.kind IN ('png', 'jpeg') AND d.method = 'image_reencode'))"
        };
        let mut sql = format!(
            "SELECT i.id FROM items i JOIN deid_results d ON d.item_id = i.id \
             JOIN deid_signoffs s ON s.batch_id = i.batch_id \
             WHERE i.status = 'received' AND {kind} AND d.status IN ('validated', 'validated_by_sample')"
        );
        if batch.is_some() {
            sql.push_str(" AND i.batch_id = ?");
        }
        sql.push_str(" ORDER BY i.number");
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        if let Some(b) = batch {
            q = q.bind(b);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Plans an assignment without writing it (the preview matrix). Lead only.
    pub async fn assign_preview(&self, req: &AssignRequest) -> Result<AssignPlan, AppError> {
        let _grant = self.authorize(Action::Assign).await?;
        let (plan, _) = self.plan_assignment(req).await?;
        Ok(plan)
    }

    async fn plan_assignment(
        &self,
        req: &AssignRequest,
    ) -> Result<(AssignPlan, Vec<(String, UserId)>), AppError> {
        let mut conn = self.pool.acquire().await?;
        let schema = load_schema(&mut conn, &req.schema_id).await?;
        if schema.status != SchemaStatus::Published {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "Publish the schema before assigning with it.",
            ));
        }
        let mut annotators: Vec<(String, UserId)> = Vec::new();
        for name in &req.annotators {
            let u = crate::users::find_user(&mut conn, name).await?;
            if u.role != Role::Annotator || !u.active {
                return Err(AppError::invalid("Assign to active annotators only."));
            }
            if !annotators.iter().any(|(_, id)| *id == u.id) {
                annotators.push((name.trim().to_string(), u.id));
            }
        }
        if annotators.is_empty() {
            return Err(AppError::invalid("Choose at least one annotator."));
        }
        let k = req.overlap as usize;
        if k == 0 || k > annotators.len() {
            return Err(AppError::invalid(format!(
                "The overlap must be between 1 and the number of annotators chosen ({}).",
                annotators.len()
            )));
        }
        let items = self
            .eligible_items(schema.task, req.batch_id.as_deref())
            .await?;
        if items.len() > MAX_ASSIGN {
            return Err(AppError::invalid("Assign at most 100,000 items at once."));
        }
        let existing: HashSet<String> =
            sqlx::query_scalar("SELECT item_id FROM assignments WHERE schema_id = ?")
                .bind(&req.schema_id)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .collect();
        let fresh: Vec<&String> = items.iter().filter(|i| !existing.contains(*i)).collect();
        let mut pairs = Vec::with_capacity(fresh.len() * k);
        let mut per: BTreeMap<String, u64> =
            annotators.iter().map(|(n, _)| (n.clone(), 0)).collect();
        for (j, item) in fresh.iter().enumerate() {
            for t in 0..k {
                let (name, id) = &annotators[(j * k + t) % annotators.len()];
                pairs.push(((*item).clone(), *id));
                *per.get_mut(name).expect("every annotator is counted") += 1;
            }
        }
        let overlap_items = if k >= 2 { fresh.len() as u64 } else { 0 };
        let warning = if fresh.is_empty() {
            Some(
                "No released items are waiting: de-identify, validate and sign off a batch first."
                    .into(),
            )
        } else if k < 2 {
            Some("With no overlap, agreement cannot be estimated.".into())
        } else if overlap_items < 10 {
            Some(format!("Only {overlap_items} items overlap: too few to estimate kappa or alpha reliably (at least 10)."))
        } else {
            None
        };
        Ok((
            AssignPlan {
                items: fresh.len() as u64,
                already_assigned: (items.len() - fresh.len()) as u64,
                per_annotator: per
                    .into_iter()
                    .map(|(name, items)| AnnotatorCount { name, items })
                    .collect(),
                overlap_items,
                warning,
            },
            pairs,
        ))
    }

    /// Assigns released items to annotators, each item to `overlap` of them, blind (no
    /// annotator sees another's labels). Items already assigned under the schema are
    /// skipped. Lead only; audited with counts.
    pub async fn assign(&self, req: &AssignRequest) -> Result<AssignPlan, AppError> {
        let _grant = self.authorize(Action::Assign).await?;
        let (plan, pairs) = self.plan_assignment(req).await?;
        if pairs.is_empty() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                plan.warning
                    .clone()
                    .unwrap_or_else(|| "Nothing to assign.".into()),
            ));
        }
        let now = rfc3339(self.now());
        let mut tx = self.begin().await?;
        for (item, annotator) in &pairs {
            sqlx::query(
                "INSERT INTO assignments (id, item_id, annotator_id, schema_id, status, assigned_by, assigned_at) \
                 VALUES (?, ?, ?, ?, 'assigned', ?, ?)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(item)
            .bind(annotator.to_string())
            .bind(&req.schema_id)
            .bind(self.user_id.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        let mut d = self.draft(EventKind::ItemsAssigned, Outcome::Success);
        d.object_kind = Some("schema".into());
        d.object_id = Some(req.schema_id.clone());
        d.detail.insert("items".into(), plan.items.into());
        d.detail.insert("assignments".into(), pairs.len().into());
        d.detail.insert("overlap".into(), req.overlap.into());
        d.detail
            .insert("annotators".into(), plan.per_annotator.len().into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// The signed-in annotator's queue: rejected items first (with the reviewer's
    /// comment), then work in progress, then new, then submitted.
    pub async fn my_queue(&self) -> Result<Vec<QueueEntry>, AppError> {
        let _grant = self.authorize(Action::Annotate).await?;
        let rows = sqlx::query(
            "SELECT a.id, i.number, s.name, s.version, s.task, a.status, r.text FROM assignments a \
             JOIN items i ON i.id = a.item_id JOIN schemas s ON s.id = a.schema_id \
             LEFT JOIN reasons r ON r.id = a.comment \
             WHERE a.annotator_id = ? AND a.status <> 'accepted' \
             ORDER BY CASE a.status WHEN 'rejected' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'assigned' THEN 2 ELSE 3 END, i.number",
        )
        .bind(self.user_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let status = AssignmentStatus::parse(&r.get::<String, _>(5)).ok_or_else(damaged)?;
                Ok(QueueEntry {
                    assignment_id: r.get(0),
                    item_number: r.get::<i64, _>(1) as u64,
                    schema: format!("{} v{}", r.get::<String, _>(2), r.get::<i64, _>(3)),
                    task: Task::parse(&r.get::<String, _>(4)).ok_or_else(damaged)?,
                    comment: (status == AssignmentStatus::Rejected)
                        .then(|| r.get(6))
                        .flatten(),
                    status,
                })
            })
            .collect()
    }

    /// The de-identified text of a released item (work tier).
    pub(crate) async fn released_text(&self, item: &str) -> Result<String, AppError> {
        let r = sqlx::query(
            "SELECT d.output_blob, d.output_size FROM deid_results d WHERE d.item_id = ? AND d.status IN ('validated', 'validated_by_sample')",
        )
        .bind(item)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::Conflict, "This item is not released for annotation."))?;
        let (Some(name), Some(size)) = (r.get::<Option<String>, _>(0), r.get::<Option<i64>, _>(1))
        else {
            return Err(damaged());
        };
        let blobs = self.vault.blobs(&self.keys.work, None);
        let bytes = blobs.read_all(&BlobRef {
            tier: Tier::Work,
            name,
            size: size as u64,
        })?;
        String::from_utf8(bytes).map_err(|_| damaged())
    }

    /// One of the caller's assignments, with its item and schema.
    pub(crate) async fn my_assignment(
        &self,
        id: &str,
    ) -> Result<(String, String, AssignmentStatus, bool, Option<String>), AppError> {
        let r = sqlx::query(
            "SELECT a.item_id, a.schema_id, a.status, a.was_submitted, r.text FROM assignments a \
             LEFT JOIN reasons r ON r.id = a.comment WHERE a.id = ? AND a.annotator_id = ?",
        )
        .bind(id)
        .bind(self.user_id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "You have no assignment with this id.")
        })?;
        Ok((
            r.get(0),
            r.get(1),
            AssignmentStatus::parse(&r.get::<String, _>(2)).ok_or_else(damaged)?,
            r.get::<i64, _>(3) == 1,
            r.get(4),
        ))
    }

    /// Opens one of the caller's assignments: the de-identified item, the schema and the
    /// current labels. Audited as an item view.
    pub async fn open_assignment(&self, id: &str) -> Result<AnnotateView, AppError> {
        let _grant = self.authorize(Action::Annotate).await?;
        let (item, schema_id, status, was_submitted, comment) = self.my_assignment(id).await?;
        let mut conn = self.pool.acquire().await?;
        let schema = load_schema(&mut conn, &schema_id).await?;
        let number: i64 = sqlx::query_scalar("SELECT number FROM items WHERE id = ?")
            .bind(&item)
            .fetch_one(&mut *conn)
            .await?;
        let current = sqlx::query(
            "SELECT value, revision, updated_at FROM annotations WHERE assignment_id = ?",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        drop(conn);
        let (text, image) = if schema.task.is_text() {
            (Some(self.released_text(&item).await?), None)
        } else {
            let series = self.released_series(&item).await?;
            (None, Some(crate::images::image_info(&series)))
        };
        let (value, revision, saved_at) = match current {
            Some(r) => (
                serde_json::from_str(&r.get::<String, _>(0)).map_err(|_| damaged())?,
                r.get::<i64, _>(1) as u32,
                Some(r.get::<String, _>(2)),
            ),
            None => (AnnotationValue::default(), 0, None),
        };
        let mut d = self.draft(EventKind::ItemViewed, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item);
        d.detail.insert("assignment".into(), id.into());
        self.record_alone(d).await?;
        Ok(AnnotateView {
            assignment_id: id.to_string(),
            item_number: number as u64,
            schema,
            text,
            image,
            value,
            revision,
            comment: (status == AssignmentStatus::Rejected)
                .then_some(comment)
                .flatten(),
            status,
            saved_at,
            needs_reason: was_submitted,
        })
    }

    /// Checks labels against their schema and the released content of `item` (spans inside
    /// the text, shapes inside the image and its frames, polygons whose edges do not cross).
    pub(crate) async fn check_value(
        &self,
        item: &str,
        schema: &SchemaDto,
        value: &AnnotationValue,
    ) -> Result<(), AppError> {
        let text = if schema.task.is_text() {
            Some(self.released_text(item).await?)
        } else {
            None
        };
        let content = match &text {
            Some(t) => Content::Text(t),
            None => crate::images::content_of(&*self.released_series(item).await?),
        };
        value
            .validate(schema.task, &schema.body, &content)
            .map_err(|e| AppError::invalid(crate::error::sentence(&e.to_string())))?;
        refuse_crossing_polygons(value)
    }

    /// Saves the caller's labels for an assignment (each save one transaction with its
    /// history row and audit event). Once labels were submitted, a change needs a reason.
    pub async fn save_annotation(
        &self,
        id: &str,
        value: &AnnotationValue,
        reason: Option<&str>,
    ) -> Result<SaveResult, AppError> {
        let _grant = self.authorize(Action::Annotate).await?;
        let (item, schema_id, status, was_submitted, _) = self.my_assignment(id).await?;
        if status == AssignmentStatus::Accepted {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "These labels were accepted by a reviewer and can no longer change.",
            ));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if was_submitted && reason.is_none() {
            return Err(AppError::invalid(
                "These labels were submitted: say why you change them.",
            ));
        }
        if reason.is_some_and(|r| r.chars().count() > 2000) {
            return Err(AppError::invalid(
                "The reason must be at most 2,000 characters.",
            ));
        }
        let mut conn = self.pool.acquire().await?;
        let schema = load_schema(&mut conn, &schema_id).await?;
        drop(conn);
        self.check_value(&item, &schema, value).await?;
        let new_json = serde_json::to_string(value).expect("values serialise");
        let now = rfc3339(self.now());
        let mut tx = self.begin().await?;
        let old = sqlx::query("SELECT value, revision FROM annotations WHERE assignment_id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let (old_json, revision) = match old {
            Some(r) => (Some(r.get::<String, _>(0)), r.get::<i64, _>(1) + 1),
            None => (None, 1),
        };
        let reason_id = match reason {
            Some(text) => {
                let rid = ReasonId::new();
                sqlx::query("INSERT INTO reasons (id, text, created_at) VALUES (?, ?, ?)")
                    .bind(rid.to_string())
                    .bind(text)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                Some((rid.to_string(), sha_hex(text)))
            }
            None => None,
        };
        let change = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO annotation_changes (id, assignment_id, revision, old_value, new_value, reason_id, schema_id, changed_by, changed_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&change)
        .bind(id)
        .bind(revision)
        .bind(&old_json)
        .bind(&new_json)
        .bind(reason_id.as_ref().map(|(r, _)| r.clone()))
        .bind(&schema_id)
        .bind(self.user_id.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO annotations (assignment_id, value, revision, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (assignment_id) DO UPDATE SET value = excluded.value, revision = excluded.revision, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(&new_json)
        .bind(revision)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE assignments SET status = 'in_progress' WHERE id = ? AND status IN ('assigned', 'submitted', 'rejected')")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut d = self.draft(EventKind::AnnotationChanged, Outcome::Success);
        d.object_kind = Some("assignment".into());
        d.object_id = Some(id.to_string());
        d.detail.insert("change".into(), change.into());
        d.detail.insert("revision".into(), revision.into());
        d.detail.insert("schema".into(), schema_id.into());
        d.detail
            .insert("schema_version".into(), schema.version.into());
        d.detail
            .insert("new_sha256".into(), sha_hex(&new_json).into());
        if let Some(o) = &old_json {
            d.detail.insert("old_sha256".into(), sha_hex(o).into());
        }
        if let Some((rid, hash)) = &reason_id {
            d.detail.insert("reason_id".into(), rid.clone().into());
            d.detail.insert("reason_sha256".into(), hash.clone().into());
        }
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(SaveResult {
            revision: revision as u32,
            saved_at: now,
        })
    }

    /// Submits the caller's labels for review (an item with nothing to mark is submitted
    /// with empty labels, saved first).
    pub async fn submit_annotation(&self, id: &str) -> Result<(), AppError> {
        let _grant = self.authorize(Action::Annotate).await?;
        let (_, _, status, _, _) = self.my_assignment(id).await?;
        if matches!(
            status,
            AssignmentStatus::Submitted | AssignmentStatus::Accepted
        ) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "These labels are already submitted.",
            ));
        }
        let saved: Option<i64> =
            sqlx::query_scalar("SELECT revision FROM annotations WHERE assignment_id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        if saved.is_none() {
            self.save_annotation(id, &AnnotationValue::default(), None)
                .await?;
        }
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE assignments SET status = 'submitted', was_submitted = 1, submitted_at = ? WHERE id = ?")
            .bind(rfc3339(self.now()))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut d = self.draft(EventKind::AnnotationSubmitted, Outcome::Success);
        d.object_kind = Some("assignment".into());
        d.object_id = Some(id.to_string());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Progress per annotator (counts only; not a ranking). Lead only.
    pub async fn progress(&self) -> Result<Vec<ProgressRow>, AppError> {
        let _grant = self.authorize(Action::ViewProgress).await?;
        let rows = sqlx::query(
            "SELECT u.name, count(*), \
             sum(a.status = 'in_progress'), sum(a.status = 'submitted'), sum(a.status = 'rejected'), sum(a.status = 'accepted') \
             FROM assignments a JOIN users u ON u.id = a.annotator_id GROUP BY u.name ORDER BY u.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ProgressRow {
                annotator: r.get(0),
                assigned: r.get::<i64, _>(1) as u64,
                in_progress: r.get::<i64, _>(2) as u64,
                submitted: r.get::<i64, _>(3) as u64,
                rejected: r.get::<i64, _>(4) as u64,
                accepted: r.get::<i64, _>(5) as u64,
            })
            .collect())
    }
}
