//! Review: submitted labels side by side under aliases (A1, A2… — reviewers never see who
//! labelled what), a summary of where they differ, accept / reject with a comment / set a
//! gold label (each decision signed with the reviewer's key), and agreement figures.

use crate::annotate::{damaged, load_schema, schema_label, sha_hex};
use crate::error::{AppError, ErrorCode};
use crate::json::{
    AgreementDto, AssignmentStatus, ConfusionDto, DiffSummary, LabelFigure, MetricDto, PairFigure,
    RegionState, ReviewAnnotation, ReviewDecision, ReviewRow, ReviewView,
};
use crate::rfc3339;
use crate::session::Session;
use airlock_agreement::{
    confusion_matrix, match_boxes, match_polygons, pairwise_agreement, polygon_iou, BoundingBox,
    Level, MatchOptions, PolygonRegion, Rater, RatingsTable, RegionAgreement, RegionError, Report,
    Score, Span, SpanCounts, SpanMatch,
};
use airlock_model::{
    Action, AnnotationValue, BoxLabel, EventKind, Outcome, PolygonLabel, ReasonId, SpanLabel, Task,
};
use ed25519_dalek::Signer;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

/// Submitted (or decided) labels of one item under a schema, by assignment, in a fixed
/// order; aliases are per schema, by annotator.
struct Submitted {
    assignment: String,
    annotator: String,
    status: AssignmentStatus,
    value: AnnotationValue,
}

fn normalised(v: &AnnotationValue) -> String {
    let mut v = v.clone();
    v.spans
        .sort_by(|a, b| (a.start, a.end, &a.label).cmp(&(b.start, b.end, &b.label)));
    v.labels.sort();
    serde_json::to_string(&v).expect("values serialise")
}

/// Where annotators' spans (or labels) agree and differ.
fn summarise(values: &[&AnnotationValue], task: Task) -> (DiffSummary, AnnotationValue) {
    let mut s = DiffSummary::default();
    let mut agreed = AnnotationValue::default();
    let n = values.len();
    if n == 0 {
        return (s, agreed);
    }
    if task.is_classification() {
        let mut all: Vec<&String> = values.iter().flat_map(|v| v.labels.iter()).collect();
        all.sort();
        all.dedup();
        for l in all {
            let k = values.iter().filter(|v| v.labels.contains(l)).count();
            if k == n {
                s.agree += 1;
                agreed.labels.push(l.clone());
            } else {
                s.missing += 1;
            }
        }
        if agreed.labels.is_empty() && values.iter().any(|v| !v.labels.is_empty()) && s.missing > 1
        {
            s.conflict += 1;
        }
        return (s, agreed);
    }
    if let Some((c, agreed)) = compare_task(values, task) {
        return (c.summary, agreed);
    }
    // Cluster overlapping spans (of anyone), then judge each cluster as a whole.
    let mut all: Vec<&SpanLabel> = values.iter().flat_map(|v| v.spans.iter()).collect();
    all.sort_by_key(|a| (a.start, a.end));
    let mut clusters: Vec<(u32, u32)> = Vec::new();
    for sp in all {
        match clusters.last_mut() {
            Some(c) if sp.start < c.1 => c.1 = c.1.max(sp.end),
            _ => clusters.push((sp.start, sp.end)),
        }
    }
    for (lo, hi) in clusters {
        let per: Vec<Vec<&SpanLabel>> = values
            .iter()
            .map(|v| {
                let mut x: Vec<&SpanLabel> = v
                    .spans
                    .iter()
                    .filter(|p| p.start < hi && lo < p.end)
                    .collect();
                x.sort_by(|a, b| (a.start, a.end, &a.label).cmp(&(b.start, b.end, &b.label)));
                x
            })
            .collect();
        let places = |x: &Vec<&SpanLabel>| x.iter().map(|p| (p.start, p.end)).collect::<Vec<_>>();
        if per.iter().any(Vec::is_empty) {
            s.missing += 1;
        } else if per.windows(2).all(|w| w[0] == w[1]) {
            s.agree += 1;
            agreed.spans.extend(per[0].iter().map(|p| (*p).clone()));
        } else if per.windows(2).all(|w| places(&w[0]) == places(&w[1])) {
            s.conflict += 1;
        } else {
            s.boundary += 1;
        }
    }
    (s, agreed)
}

/// A region annotators draw on one frame of an image: a box or a polygon.
trait Region: Clone {
    fn frame(&self) -> u32;
    fn label(&self) -> &str;
    /// Intersection over union with a region on the same frame.
    fn iou(&self, other: &Self) -> f64;
}

impl Region for BoxLabel {
    fn frame(&self) -> u32 {
        self.frame
    }
    fn label(&self) -> &str {
        &self.label
    }
    fn iou(&self, b: &Self) -> f64 {
        let a = self;
        let w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
        let h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
        if w <= 0.0 || h <= 0.0 {
            return 0.0;
        }
        let inter = w * h;
        inter / (a.w * a.h + b.w * b.h - inter)
    }
}

impl Region for PolygonLabel {
    fn frame(&self) -> u32 {
        self.frame
    }
    fn label(&self) -> &str {
        &self.label
    }
    /// A polygon the agreement crate refuses (one that crosses itself) overlaps nothing, so
    /// the reviewer sees it marked missing rather than the whole item failing to open.
    /// Polygons whose bounding boxes are apart are not clipped at all.
    fn iou(&self, other: &Self) -> f64 {
        let bounds = |p: &PolygonLabel| {
            p.points.iter().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |b, [x, y]| [b[0].min(*x), b[1].min(*y), b[2].max(*x), b[3].max(*y)],
            )
        };
        let (a, b) = (bounds(self), bounds(other));
        if a[0] >= b[2] || b[0] >= a[2] || a[1] >= b[3] || b[1] >= a[3] {
            return 0.0;
        }
        let region = |p: &PolygonLabel| PolygonRegion::new(p.points.clone(), p.label.clone());
        polygon_iou(&region(self), &region(other)).unwrap_or(0.0)
    }
}

/// The region of `list` on `r`'s frame that overlaps `r` most, and how it compares.
fn best_partner<R: Region>(r: &R, list: &[R]) -> (Option<usize>, f64, RegionState) {
    let best = list
        .iter()
        .enumerate()
        .filter(|(_, b)| b.frame() == r.frame())
        .map(|(k, b)| (k, r.iou(b)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    match best {
        Some((k, x)) if x >= 0.5 => {
            let state = if list[k].label() == r.label() {
                RegionState::Agree
            } else {
                RegionState::Conflict
            };
            (Some(k), x, state)
        }
        Some((k, x)) if x > 0.0 => (Some(k), x, RegionState::Boundary),
        _ => (None, 0.0, RegionState::Missing),
    }
}

/// How annotators' regions compare, frame by frame.
struct RegionComparison {
    /// The first annotator's regions as reference, each judged by its worst state against
    /// the others; the others' regions no reference region pairs with count as missing.
    summary: DiffSummary,
    /// Indices of the reference regions everyone agrees with (the gold pane's start).
    agreed: Vec<usize>,
    /// Per annotator, each region's worst state against every other annotator's.
    states: Vec<Vec<RegionState>>,
    /// Per pair `(i, j)`, `i < j`: mean best-partner IoU of i's regions among j's, and
    /// how many regions i has.
    pairs: Vec<(usize, usize, Option<f64>, u64)>,
}

fn compare_regions<R: Region>(lists: &[&[R]]) -> RegionComparison {
    let mut summary = DiffSummary::default();
    let mut agreed = Vec::new();
    let mut paired: Vec<Vec<bool>> = lists.iter().map(|l| vec![false; l.len()]).collect();
    for (i, r) in lists
        .first()
        .copied()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let mut worst = RegionState::Agree;
        for (j, list) in lists.iter().enumerate().skip(1) {
            let (k, _, state) = best_partner(r, list);
            if let Some(k) = k {
                paired[j][k] = true;
            }
            worst = worst.max(state);
        }
        match worst {
            RegionState::Agree => {
                summary.agree += 1;
                agreed.push(i);
            }
            RegionState::Conflict => summary.conflict += 1,
            RegionState::Boundary => summary.boundary += 1,
            RegionState::Missing => summary.missing += 1,
        }
    }
    summary.missing += paired
        .iter()
        .skip(1)
        .map(|p| p.iter().filter(|x| !**x).count() as u32)
        .sum::<u32>();
    let states = lists
        .iter()
        .enumerate()
        .map(|(i, mine)| {
            mine.iter()
                .map(|r| {
                    lists
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, other)| best_partner(r, other).2)
                        .max()
                        .unwrap_or(RegionState::Agree)
                })
                .collect()
        })
        .collect();
    let mut pairs = Vec::new();
    for (i, a) in lists.iter().enumerate() {
        for (j, b) in lists.iter().enumerate().skip(i + 1) {
            let mean = (!a.is_empty() || !b.is_empty()).then(|| {
                a.iter().map(|r| best_partner(r, b).1).sum::<f64>() / a.len().max(1) as f64
            });
            pairs.push((i, j, mean, a.len() as u64));
        }
    }
    RegionComparison {
        summary,
        agreed,
        states,
        pairs,
    }
}

/// The region comparison of an image task (boxes or polygons), with the agreed value.
fn compare_task(
    values: &[&AnnotationValue],
    task: Task,
) -> Option<(RegionComparison, AnnotationValue)> {
    let mut agreed = AnnotationValue::default();
    let c = match task {
        Task::ImageBoxes => {
            let c = compare_regions(&values.iter().map(|v| &v.boxes[..]).collect::<Vec<_>>());
            agreed.boxes = c
                .agreed
                .iter()
                .map(|&i| values[0].boxes[i].clone())
                .collect();
            c
        }
        Task::ImagePolygons => {
            let c = compare_regions(&values.iter().map(|v| &v.polygons[..]).collect::<Vec<_>>());
            agreed.polygons = c
                .agreed
                .iter()
                .map(|&i| values[0].polygons[i].clone())
                .collect();
            c
        }
        _ => return None,
    };
    Some((c, agreed))
}

fn metric(name: &str, score: &Score) -> MetricDto {
    MetricDto {
        metric: name.to_string(),
        value: score.value,
        n_compared: score.n_compared as u64,
        n_total: score.n_total as u64,
        undefined: score.undefined.map(|u| u.to_string()),
        warnings: score.warnings.iter().map(|w| w.to_string()).collect(),
    }
}

impl Session {
    /// The per-schema aliases: annotators in order of their first assignment, A1, A2…
    async fn aliases(&self, schema: &str) -> Result<HashMap<String, String>, AppError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT annotator_id FROM assignments WHERE schema_id = ? GROUP BY annotator_id ORDER BY MIN(assigned_at), annotator_id",
        )
        .bind(schema)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| (id, format!("A{}", i + 1)))
            .collect())
    }

    async fn submitted(
        &self,
        schema: &str,
        item: Option<&str>,
    ) -> Result<Vec<(String, Submitted)>, AppError> {
        let mut sql =
            "SELECT a.item_id, a.id, a.annotator_id, a.status, n.value FROM assignments a \
                       JOIN annotations n ON n.assignment_id = a.id \
                       WHERE a.schema_id = ? AND a.was_submitted = 1"
                .to_string();
        if item.is_some() {
            sql.push_str(" AND a.item_id = ?");
        }
        sql.push_str(" ORDER BY a.item_id, a.assigned_at, a.id");
        let mut q = sqlx::query(&sql).bind(schema);
        if let Some(i) = item {
            q = q.bind(i);
        }
        q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                Ok((
                    r.get::<String, _>(0),
                    Submitted {
                        assignment: r.get(1),
                        annotator: r.get(2),
                        status: AssignmentStatus::parse(&r.get::<String, _>(3))
                            .ok_or_else(damaged)?,
                        value: serde_json::from_str(&r.get::<String, _>(4))
                            .map_err(|_| damaged())?,
                    },
                ))
            })
            .collect()
    }

    /// Items with submitted labels: disagreements first, then by item number.
    pub async fn review_queue(&self) -> Result<Vec<ReviewRow>, AppError> {
        let _grant = self.authorize(Action::Review).await?;
        let rows = sqlx::query(
            "SELECT a.item_id, i.number, a.schema_id, count(*), sum(a.was_submitted), \
             EXISTS (SELECT 1 FROM gold g WHERE g.item_id = a.item_id AND g.schema_id = a.schema_id) \
             FROM assignments a JOIN items i ON i.id = a.item_id \
             GROUP BY a.item_id, a.schema_id HAVING sum(a.was_submitted) > 0 ORDER BY i.number",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut conn = self.pool.acquire().await?;
        let mut schemas = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let item: String = r.get(0);
            let schema_id: String = r.get(2);
            if !schemas.contains_key(&schema_id) {
                let s = load_schema(&mut conn, &schema_id).await?;
                schemas.insert(schema_id.clone(), s);
            }
            let subs = self.submitted(&schema_id, Some(&item)).await?;
            let values: Vec<&AnnotationValue> = subs.iter().map(|(_, s)| &s.value).collect();
            let disagreement = if let Some((c, _)) = compare_task(&values, schemas[&schema_id].task)
            {
                // Hand-drawn regions are never identical: judge them by overlap.
                let d = c.summary;
                d.conflict + d.boundary + d.missing > 0
            } else {
                let distinct: std::collections::HashSet<String> =
                    subs.iter().map(|(_, s)| normalised(&s.value)).collect();
                distinct.len() > 1
            };
            out.push(ReviewRow {
                item_number: r.get::<i64, _>(1) as u64,
                schema: schema_label(&schemas[&schema_id]),
                assigned: r.get::<i64, _>(3) as u32,
                submitted: r.get::<i64, _>(4) as u32,
                disagreement,
                has_gold: r.get::<i64, _>(5) == 1,
                item_id: item,
                schema_id,
            });
        }
        out.sort_by_key(|r| (!r.disagreement, r.has_gold, r.item_number));
        Ok(out)
    }

    /// An item's submitted labels side by side. Reviewer only; audited as an item view.
    pub async fn review_item(&self, item: &str, schema_id: &str) -> Result<ReviewView, AppError> {
        let _grant = self.authorize(Action::Review).await?;
        let mut conn = self.pool.acquire().await?;
        let schema = load_schema(&mut conn, schema_id).await?;
        let number: i64 = sqlx::query_scalar("SELECT number FROM items WHERE id = ?")
            .bind(item)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No item has this id."))?;
        let gold: Option<String> =
            sqlx::query_scalar("SELECT value FROM gold WHERE item_id = ? AND schema_id = ?")
                .bind(item)
                .bind(schema_id)
                .fetch_optional(&mut *conn)
                .await?;
        drop(conn);
        let aliases = self.aliases(schema_id).await?;
        let mut subs = self.submitted(schema_id, Some(item)).await?;
        let alias_no = |a: &str| {
            aliases
                .get(a)
                .and_then(|x| x[1..].parse::<u32>().ok())
                .unwrap_or(u32::MAX)
        };
        subs.sort_by_key(|(_, s)| alias_no(&s.annotator));
        if subs.is_empty() {
            return Err(AppError::new(
                ErrorCode::NotFound,
                "Nothing has been submitted for this item yet.",
            ));
        }
        let values: Vec<&AnnotationValue> = subs.iter().map(|(_, s)| &s.value).collect();
        let regions = compare_task(&values, schema.task);
        let (summary, agreed) = match &regions {
            Some((c, agreed)) => (c.summary.clone(), agreed.clone()),
            None => summarise(&values, schema.task),
        };
        let alias_of = |s: &Submitted| {
            aliases
                .get(&s.annotator)
                .cloned()
                .unwrap_or_else(|| "A?".into())
        };
        let pair_iou = regions.as_ref().map_or_else(Vec::new, |(c, _)| {
            c.pairs
                .iter()
                .map(|&(i, j, value, n)| PairFigure {
                    a: alias_of(&subs[i].1),
                    b: alias_of(&subs[j].1),
                    value,
                    n,
                })
                .collect()
        });
        let (text, image) = if schema.task.is_text() {
            (Some(self.released_text(item).await?), None)
        } else {
            let series = self.released_series(item).await?;
            (None, Some(crate::images::image_info(&series)))
        };
        let mut d = self.draft(EventKind::ItemViewed, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item.to_string());
        d.detail.insert("review".into(), true.into());
        self.record_alone(d).await?;
        Ok(ReviewView {
            item_id: item.to_string(),
            item_number: number as u64,
            text,
            image,
            annotations: subs
                .iter()
                .enumerate()
                .map(|(i, (_, s))| ReviewAnnotation {
                    alias: alias_of(s),
                    assignment_id: s.assignment.clone(),
                    status: s.status,
                    value: s.value.clone(),
                    states: regions
                        .as_ref()
                        .map_or_else(Vec::new, |(c, _)| c.states[i].clone()),
                })
                .collect(),
            gold: gold
                .map(|g| serde_json::from_str(&g))
                .transpose()
                .map_err(|_| damaged())?,
            agreed,
            summary,
            pair_iou,
            schema,
        })
    }

    /// Accepts or rejects one annotator's labels, or sets the gold label. Signed with the
    /// reviewer's key; audited (the comment by reason id, the gold label by its hash).
    pub async fn review_decide(
        &self,
        item: &str,
        schema_id: &str,
        decision: &ReviewDecision,
    ) -> Result<(), AppError> {
        let _grant = self.authorize(Action::Review).await?;
        let personal = self.keys.personal.as_ref().ok_or_else(|| {
            AppError::new(ErrorCode::Forbidden, "This session has no signing key.")
        })?;
        let mut conn = self.pool.acquire().await?;
        let schema = load_schema(&mut conn, schema_id).await?;
        drop(conn);
        let now = rfc3339(self.now());
        let (kind, assignment, gold_json, comment) = match decision {
            ReviewDecision::Accept { assignment_id } => {
                ("accept", Some(assignment_id.clone()), None, None)
            }
            ReviewDecision::Reject {
                assignment_id,
                comment,
            } => {
                let c = comment.trim();
                if c.is_empty() || c.chars().count() > 2000 {
                    return Err(AppError::invalid(
                        "Say what to fix (1 to 2,000 characters).",
                    ));
                }
                (
                    "reject",
                    Some(assignment_id.clone()),
                    None,
                    Some(c.to_string()),
                )
            }
            ReviewDecision::Adjudicate { gold } => {
                self.check_value(item, &schema, gold).await?;
                (
                    "adjudicate",
                    None,
                    Some(serde_json::to_string(gold).expect("values serialise")),
                    None,
                )
            }
        };
        let mut tx = self.begin().await?;
        if let Some(a) = &assignment {
            let status: Option<String> = sqlx::query_scalar(
                "SELECT status FROM assignments WHERE id = ? AND item_id = ? AND schema_id = ? AND was_submitted = 1",
            )
            .bind(a)
            .bind(item)
            .bind(schema_id)
            .fetch_optional(&mut *tx)
            .await?;
            match status.as_deref() {
                Some("submitted") => {}
                Some(_) => {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        "Only submitted labels can be accepted or rejected.",
                    ))
                }
                None => {
                    return Err(AppError::new(
                        ErrorCode::NotFound,
                        "No submitted labels have this id for the item.",
                    ))
                }
            }
        }
        let comment_id = match &comment {
            Some(text) => {
                let rid = ReasonId::new().to_string();
                sqlx::query("INSERT INTO reasons (id, text, created_at) VALUES (?, ?, ?)")
                    .bind(&rid)
                    .bind(text)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                Some(rid)
            }
            None => None,
        };
        let review_id = uuid::Uuid::new_v4().to_string();
        let statement = serde_json::json!({
            "format": "airlock-review-decision", "version": 1,
            "vault_id": self.vault.id().to_string(), "review_id": review_id, "item_id": item,
            "schema_id": schema_id, "schema_version": schema.version, "decision": kind,
            "assignment_id": assignment, "gold_sha256": gold_json.as_deref().map(sha_hex),
            "comment_sha256": comment.as_deref().map(sha_hex), "reviewer": self.user_id.to_string(), "decided_at": now,
        })
        .to_string();
        let mut message = b"airlock-review-v1\0".to_vec();
        message.extend_from_slice(sha_hex(&statement).as_bytes());
        let signature = hex::encode(personal.signing.sign(&message).to_bytes());
        sqlx::query(
            "INSERT INTO reviews (id, item_id, schema_id, reviewer_id, decision, assignment_id, gold_value, comment, decided_at, public_key, signature) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&review_id)
        .bind(item)
        .bind(schema_id)
        .bind(self.user_id.to_string())
        .bind(kind)
        .bind(&assignment)
        .bind(&gold_json)
        .bind(&comment_id)
        .bind(&now)
        .bind(personal.signing_public_hex())
        .bind(&signature)
        .execute(&mut *tx)
        .await?;
        match decision {
            ReviewDecision::Accept { assignment_id } => {
                sqlx::query("UPDATE assignments SET status = 'accepted' WHERE id = ?")
                    .bind(assignment_id)
                    .execute(&mut *tx)
                    .await?;
            }
            ReviewDecision::Reject { assignment_id, .. } => {
                sqlx::query("UPDATE assignments SET status = 'rejected', comment = ? WHERE id = ?")
                    .bind(&comment_id)
                    .bind(assignment_id)
                    .execute(&mut *tx)
                    .await?;
            }
            ReviewDecision::Adjudicate { .. } => {
                sqlx::query(
                    "INSERT INTO gold (item_id, schema_id, value, review_id, decided_at) VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT (item_id, schema_id) DO UPDATE SET value = excluded.value, review_id = excluded.review_id, decided_at = excluded.decided_at",
                )
                .bind(item)
                .bind(schema_id)
                .bind(gold_json.as_deref().expect("adjudication has a gold value"))
                .bind(&review_id)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut d = self.draft(EventKind::ReviewDecided, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item.to_string());
        d.detail.insert("review".into(), review_id.into());
        d.detail.insert("decision".into(), kind.into());
        d.detail.insert("schema".into(), schema_id.into());
        d.detail
            .insert("statement_sha256".into(), sha_hex(&statement).into());
        if let Some(a) = assignment {
            d.detail.insert("assignment".into(), a.into());
        }
        if let Some(c) = comment_id {
            d.detail.insert("comment_reason_id".into(), c.into());
        }
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Agreement over the submitted labels of a schema: for classification percent
    /// agreement, Cohen's kappa (two annotators), Fleiss' kappa and Krippendorff's alpha,
    /// per label, pairwise and a confusion matrix; for spans exact and overlap F1, per label
    /// and pairwise; for boxes and polygons IoU with optimal matching. Every figure carries
    /// the items compared and present, and fit warnings. Lead and reviewer; audited.
    pub async fn agreement(&self, schema_id: &str) -> Result<AgreementDto, AppError> {
        let _grant = self.authorize(Action::ViewAgreement).await?;
        let mut conn = self.pool.acquire().await?;
        let schema = load_schema(&mut conn, schema_id).await?;
        drop(conn);
        let aliases = self.aliases(schema_id).await?;
        let subs = self.submitted(schema_id, None).await?;
        let mut by_item: BTreeMap<String, Vec<(String, AnnotationValue)>> = BTreeMap::new();
        for (item, s) in subs {
            let alias = aliases
                .get(&s.annotator)
                .cloned()
                .unwrap_or_else(|| "A?".into());
            by_item.entry(item).or_default().push((alias, s.value));
        }
        let mut annotators: Vec<String> =
            by_item.values().flatten().map(|(a, _)| a.clone()).collect();
        annotators.sort_by_key(|a| a.trim_start_matches('A').parse::<u32>().unwrap_or(u32::MAX));
        annotators.dedup();
        let overlap_items = by_item.values().filter(|v| v.len() >= 2).count() as u64;
        let mut dto = AgreementDto {
            schema_id: schema_id.to_string(),
            task: schema.task,
            annotators,
            overlap_items,
            metrics: Vec::new(),
            per_label: Vec::new(),
            pairs: Vec::new(),
            confusion: None,
            note: None,
        };
        if overlap_items == 0 {
            dto.note = Some(format!(
                "Agreement needs two or more annotators on the same items; {} items have submissions but none overlap. Set overlap in Assignment.",
                by_item.len()
            ));
        } else if schema.task.is_classification() {
            self.classification_agreement(&schema.body, &by_item, &mut dto)?;
        } else if schema.task == Task::TextSpans {
            span_agreement(&by_item, &mut dto)?;
        } else if schema.task == Task::ImageBoxes {
            box_agreement(&by_item, &mut dto)?;
        } else if schema.task == Task::ImagePolygons {
            polygon_agreement(&by_item, &mut dto)?;
        }
        let mut d = self.draft(EventKind::AgreementViewed, Outcome::Success);
        d.object_kind = Some("schema".into());
        d.object_id = Some(schema_id.to_string());
        d.detail
            .insert("overlap_items".into(), overlap_items.into());
        self.record_alone(d).await?;
        Ok(dto)
    }

    fn classification_agreement(
        &self,
        body: &airlock_model::SchemaBody,
        by_item: &BTreeMap<String, Vec<(String, AnnotationValue)>>,
        dto: &mut AgreementDto,
    ) -> Result<(), AppError> {
        if body.multi {
            dto.note = Some(
                "Multi-label schemas are scored per label: each label is a yes/no rating.".into(),
            );
        }
        let mut triples: Vec<(String, String, String)> = Vec::new();
        for (item, subs) in by_item {
            for (alias, v) in subs {
                if body.multi {
                    for l in &body.labels {
                        let yes = if v.labels.contains(&l.name) {
                            "yes"
                        } else {
                            "no"
                        };
                        triples.push((format!("{item}:{}", l.name), alias.clone(), yes.into()));
                    }
                } else if let Some(l) = v.labels.first() {
                    triples.push((item.clone(), alias.clone(), l.clone()));
                }
            }
        }
        let table = RatingsTable::from_triples(Level::Nominal, triples).map_err(|e| {
            AppError::new(ErrorCode::Internal, crate::error::sentence(&e.to_string()))
        })?;
        let report = Report::for_table(&table);
        dto.metrics
            .push(metric("percent_agreement", &report.percent_agreement));
        if let Some(k) = &report.cohen_kappa {
            dto.metrics.push(metric("cohen_kappa", &k.score));
        }
        dto.metrics
            .push(metric("fleiss_kappa", &report.fleiss_kappa.score));
        dto.metrics.push(metric(
            "krippendorff_alpha",
            &report.krippendorff_alpha.score,
        ));
        dto.per_label = report
            .per_label
            .iter()
            .map(|l| LabelFigure {
                label: l.label.clone(),
                value: l.specific_agreement,
                n: l.n_ratings as u64,
            })
            .collect();
        let names = table.annotators();
        if let Ok(pairs) = pairwise_agreement(&table) {
            dto.pairs = pairs
                .iter()
                .map(|p| PairFigure {
                    a: names[p.first].clone(),
                    b: names[p.second].clone(),
                    value: p.kappa.score.value,
                    n: p.kappa.score.n_compared as u64,
                })
                .collect();
        }
        if names.len() >= 2 {
            if let Ok(m) = confusion_matrix(&table, Rater::Annotator(0), Rater::Annotator(1)) {
                dto.confusion = Some(ConfusionDto {
                    rows: names[0].clone(),
                    columns: names[1].clone(),
                    labels: m.labels.clone(),
                    counts: m
                        .counts
                        .iter()
                        .map(|r| r.iter().map(|c| *c as u32).collect())
                        .collect(),
                });
            }
        }
        Ok(())
    }
}

fn spans_of(v: &AnnotationValue) -> Vec<Span> {
    v.spans
        .iter()
        .map(|s| Span::new(s.start as usize, s.end as usize, s.label.clone()))
        .collect()
}

/// Span F1 between every pair of annotators on the items both submitted (exact and
/// overlap matching), overall, per label and per pair.
fn span_agreement(
    by_item: &BTreeMap<String, Vec<(String, AnnotationValue)>>,
    dto: &mut AgreementDto,
) -> Result<(), AppError> {
    let mut exact = SpanCounts::default();
    let mut overlap = SpanCounts::default();
    let mut pairs: BTreeMap<(String, String), (SpanCounts, u64)> = BTreeMap::new();
    let mut compared = 0u64;
    for subs in by_item.values() {
        if subs.len() < 2 {
            continue;
        }
        compared += 1;
        for i in 0..subs.len() {
            for j in i + 1..subs.len() {
                let (a, b) = (&subs[i], &subs[j]);
                let e = SpanCounts::compare(&spans_of(&a.1), &spans_of(&b.1), SpanMatch::Exact)
                    .map_err(|x| {
                        AppError::new(ErrorCode::Internal, crate::error::sentence(&x.to_string()))
                    })?;
                let o = SpanCounts::compare(&spans_of(&a.1), &spans_of(&b.1), SpanMatch::Overlap)
                    .map_err(|x| {
                    AppError::new(ErrorCode::Internal, crate::error::sentence(&x.to_string()))
                })?;
                exact.add(&e);
                overlap.add(&o);
                let key = if a.0 <= b.0 {
                    (a.0.clone(), b.0.clone())
                } else {
                    (b.0.clone(), a.0.clone())
                };
                let entry = pairs.entry(key).or_default();
                entry.0.add(&o);
                entry.1 += 1;
            }
        }
    }
    let total = by_item.len() as u64;
    let low = |n: u64| {
        if n < 10 {
            vec![format!(
                "Only {n} items were compared; treat the figure with caution (low n)."
            )]
        } else {
            Vec::new()
        }
    };
    for (name, counts) in [("span_f1_exact", &exact), ("span_f1_overlap", &overlap)] {
        dto.metrics.push(MetricDto {
            metric: name.into(),
            value: counts.scores().f1,
            n_compared: compared,
            n_total: total,
            undefined: counts
                .scores()
                .f1
                .is_none()
                .then(|| "no spans were marked by either side".into()),
            warnings: low(compared),
        });
    }
    dto.per_label = overlap
        .label_scores()
        .into_iter()
        .map(|(label, s)| LabelFigure {
            label,
            value: s.f1,
            n: (s.tally.reference + s.tally.candidate) as u64,
        })
        .collect();
    dto.pairs = pairs
        .into_iter()
        .map(|((a, b), (c, n))| PairFigure {
            a,
            b,
            value: c.scores().f1,
            n,
        })
        .collect();
    Ok(())
}

// Frames are laid side by side (x shifted by a million pixels per frame, far past any
// image's width), so regions on different frames of a series never pair.
const FRAME_SHIFT: f64 = 1e6;

/// Box IoU with optimal one-to-one matching (IoU ≥ 0.5, same label) between every pair.
fn box_agreement(
    by_item: &BTreeMap<String, Vec<(String, AnnotationValue)>>,
    dto: &mut AgreementDto,
) -> Result<(), AppError> {
    let boxes = |v: &AnnotationValue| -> Vec<BoundingBox> {
        v.boxes
            .iter()
            .map(|b| {
                let dx = f64::from(b.frame) * FRAME_SHIFT;
                BoundingBox::new(b.x + dx, b.y, b.x + dx + b.w, b.y + b.h, b.label.clone())
            })
            .collect()
    };
    region_agreement(by_item, dto, "box", |a, b| {
        match_boxes(&boxes(a), &boxes(b), MatchOptions::default())
    })
}

/// Polygon IoU with optimal one-to-one matching (IoU ≥ 0.5, same label) between every pair.
fn polygon_agreement(
    by_item: &BTreeMap<String, Vec<(String, AnnotationValue)>>,
    dto: &mut AgreementDto,
) -> Result<(), AppError> {
    let polygons = |v: &AnnotationValue| -> Vec<PolygonRegion> {
        v.polygons
            .iter()
            .map(|p| {
                let dx = f64::from(p.frame) * FRAME_SHIFT;
                let points = p.points.iter().map(|[x, y]| [x + dx, *y]).collect();
                PolygonRegion::new(points, p.label.clone())
            })
            .collect()
    };
    region_agreement(by_item, dto, "polygon", |a, b| {
        match_polygons(&polygons(a), &polygons(b), MatchOptions::default())
    })
}

/// Mean IoU of matched regions and match F1 over every pair of annotators on each item
/// both labelled, as the metrics `{kind}_mean_iou` and `{kind}_match_f1`.
fn region_agreement(
    by_item: &BTreeMap<String, Vec<(String, AnnotationValue)>>,
    dto: &mut AgreementDto,
    kind: &str,
    matching: impl Fn(&AnnotationValue, &AnnotationValue) -> Result<RegionAgreement, RegionError>,
) -> Result<(), AppError> {
    let (mut iou_sum, mut pairs_n, mut f1_sum, mut compared) = (0.0, 0u64, 0.0, 0u64);
    for subs in by_item.values() {
        if subs.len() < 2 {
            continue;
        }
        compared += 1;
        for i in 0..subs.len() {
            for j in i + 1..subs.len() {
                let r = matching(&subs[i].1, &subs[j].1).map_err(|x| {
                    AppError::new(ErrorCode::Internal, crate::error::sentence(&x.to_string()))
                })?;
                if let Some(m) = r.mean_iou {
                    iou_sum += m;
                    pairs_n += 1;
                }
                f1_sum += r.f1.unwrap_or(0.0);
            }
        }
    }
    let total = by_item.len() as u64;
    dto.metrics.push(MetricDto {
        metric: format!("{kind}_mean_iou"),
        value: (pairs_n > 0).then(|| iou_sum / pairs_n as f64),
        n_compared: compared,
        n_total: total,
        undefined: (pairs_n == 0).then(|| format!("no {kind}s were matched")),
        warnings: Vec::new(),
    });
    dto.metrics.push(MetricDto {
        metric: format!("{kind}_match_f1"),
        value: (compared > 0).then(|| f1_sum / compared as f64),
        n_compared: compared,
        n_total: total,
        undefined: None,
        warnings: Vec::new(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u32, end: u32, label: &str) -> SpanLabel {
        SpanLabel {
            start,
            end,
            label: label.into(),
        }
    }

    fn square(x: f64, frame: u32) -> PolygonLabel {
        PolygonLabel {
            points: vec![[x, 0.0], [x + 10.0, 0.0], [x + 10.0, 10.0], [x, 10.0]],
            label: "Lesion".into(),
            frame,
        }
    }

    #[test]
    fn polygons_compare_frame_by_frame_and_a_crossed_one_overlaps_nothing() {
        let bow_tie = PolygonLabel {
            points: vec![[0.0, 0.0], [10.0, 10.0], [10.0, 0.0], [0.0, 10.0]],
            ..square(0.0, 0)
        };
        assert_eq!(square(0.0, 0).iou(&bow_tie), 0.0);
        assert_eq!(square(0.0, 0).iou(&square(20.0, 0)), 0.0);
        let a1 = [square(0.0, 0)];
        let a2 = [square(0.0, 1), square(5.0, 0)];
        let c = compare_regions(&[&a1[..], &a2[..]]);
        assert_eq!(
            c.states,
            [
                vec![RegionState::Boundary],
                vec![RegionState::Missing, RegionState::Boundary]
            ],
            "the same square on another frame is no partner; half-overlapping ones are IoU 1/3"
        );
        let d = &c.summary;
        assert_eq!((d.agree, d.boundary, d.missing), (0, 1, 1));
        assert!(c.agreed.is_empty());
        let (i, j, mean, n) = c.pairs[0];
        assert_eq!((i, j, n), (0, 1, 1));
        assert!((mean.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let none = compare_regions::<PolygonLabel>(&[]);
        assert!(none.states.is_empty() && none.pairs.is_empty());
    }

    #[test]
    fn summaries_name_agreement_conflicts_boundaries_and_misses() {
        let a = AnnotationValue {
            spans: vec![
                span(0, 5, "Drug"),
                span(10, 15, "Dx"),
                span(20, 30, "Dx"),
                span(40, 45, "Drug"),
            ],
            ..Default::default()
        };
        let b = AnnotationValue {
            spans: vec![span(0, 5, "Drug"), span(10, 15, "Drug"), span(22, 30, "Dx")],
            ..Default::default()
        };
        let (s, agreed) = summarise(&[&a, &b], Task::TextSpans);
        assert_eq!(agreed.spans, vec![span(0, 5, "Drug")]);
        assert_eq!((s.agree, s.conflict, s.boundary, s.missing), (1, 1, 1, 1));
    }
}
