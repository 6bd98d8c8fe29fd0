//! Receiving data from a site (leads only): plan, then one streaming pass per file that
//! hashes, detects and encrypts at once on every core, committing what is stored in
//! small transactions so a crash or a cancel loses nothing and a rerun resumes; then a
//! signed receipt and the batch's verdict. Problem files are quarantined, never released.
//!
//! Identifying facts (relative paths, a sender's checksums) are sealed with the source
//! key in the database; lookups use keyed tags; audit events hold counts and ids only.

use crate::error::{AppError, ErrorCode};
use crate::json::{
    BatchStatus, ExpectedDigest, ExtensionCount, IngestPreflight, IngestProgress, IngestReport,
    IngestRequest, ItemStatus, ReportFile, VerdictCount,
};
use crate::rfc3339;
use crate::session::Session;
use airlock_ingest::detect::{ContentKind, Sniffer};
use airlock_ingest::digest::{Algorithm, MultiHasher};
use airlock_ingest::plan::{self, Plan, PlanError, PlanRequest, PlannedFile, Skipped, SourceMode};
use airlock_ingest::receipt::{
    ReceiptBody, ReceiptFile, ReceiptSource, Receiver, SignedReceipt, Tally, Verdict,
    RECEIPT_FORMAT,
};
use airlock_ingest::rows::{self, RowConfig};
use airlock_model::{Action, EventKind, Outcome};
use airlock_vault::{BlobRef, BlobStore, Tier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// CSV/JSONL files larger than this are stored but not split into rows (quarantined).
pub const MAX_ROW_SPLIT_BYTES: u64 = 128 * 1024 * 1024;

/// Stored outcomes are committed at least this often.
const COMMIT_EVERY: Duration = Duration::from_millis(500);
/// …or after this many files.
const COMMIT_FILES: usize = 256;
/// Progress is reported at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Temp blobs older than this are left-overs of a killed run.
const STALE_TEMP: Duration = Duration::from_secs(600);

/// What the database keeps sealed about one stored file.
#[derive(Serialize, Deserialize)]
struct SealedFile {
    path: String,
    sha256: String,
    expected: BTreeMap<Algorithm, String>,
    note: Option<String>,
}

/// One file read in this run.
struct FileOutcome {
    file: usize,
    verdict: Verdict,
    kind: ContentKind,
    size: u64,
    sha256: Option<[u8; 32]>,
    blob: Option<BlobRef>,
    rows: Vec<(u64, u64)>,
    note: Option<String>,
}

/// A file's result as the report and receipt need it.
#[derive(Clone)]
struct FileResult {
    verdict: Verdict,
    kind: Option<ContentKind>,
    size: u64,
    sha256: Option<String>,
    items: u64,
    note: Option<String>,
}

fn plan_error(e: PlanError) -> AppError {
    let msg = e.to_string();
    let mut c = msg.chars();
    let sentence = match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str()),
        None => msg,
    };
    AppError::new(
        match e {
            PlanError::NotAFolder | PlanError::ManifestUnreadable => ErrorCode::NotFound,
            _ => ErrorCode::InvalidInput,
        },
        sentence,
    )
}

fn plan_request(req: &IngestRequest) -> PlanRequest {
    PlanRequest {
        source: PathBuf::from(req.source.trim()),
        manifest: req
            .manifest
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(PathBuf::from),
        bagit: req.bagit,
    }
}

fn row_config(req: &IngestRequest) -> RowConfig {
    let clean = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    RowConfig {
        csv_column: clean(&req.csv_column),
        jsonl_field: clean(&req.jsonl_field),
    }
}

/// A stable text for an I/O error kind (never the path).
fn io_note(e: &std::io::Error) -> String {
    format!("could not be read ({:?})", e.kind())
}

fn skipped_note(s: &Skipped) -> String {
    match s {
        Skipped::Missing => "listed in the manifest but not present".into(),
        Skipped::TooLarge => "larger than 4 GiB, which Airlock does not receive".into(),
        Skipped::Unreadable(p) => p.to_string(),
    }
}

fn item_kind(kind: ContentKind) -> &'static str {
    match kind {
        ContentKind::Dicom => "dicom",
        ContentKind::Png => "png",
        ContentKind::Jpeg => "jpeg",
        ContentKind::Text | ContentKind::Csv | ContentKind::Jsonl => "text",
        ContentKind::Unsupported => "unsupported",
    }
}

fn mtime_ns(f: &PlannedFile) -> Option<i64> {
    f.modified
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// Reads a file for storing, counting bytes and stopping when cancelled.
struct Watched<'a> {
    file: std::fs::File,
    cancel: &'a AtomicBool,
    bytes: &'a AtomicU64,
}

impl Read for Watched<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            // Not `Interrupted`: readers retry that kind.
            return Err(std::io::Error::other("cancelled"));
        }
        let n = loop {
            match self.file.read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a planned file, refusing anything that became a link or changed identity since
/// the walk.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let before = std::fs::symlink_metadata(path)?;
    if !before.file_type().is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let file = std::fs::File::open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let after = file.metadata()?;
        if after.ino() != before.ino() || after.dev() != before.dev() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the file changed while it was opened",
            ));
        }
    }
    Ok(file)
}

/// Reads, hashes, detects and stores one planned file. `None` when cancelled.
fn receive_one(
    index: usize,
    f: &PlannedFile,
    blobs: &BlobStore,
    algorithms: &[Algorithm],
    rows_cfg: &RowConfig,
    cancel: &AtomicBool,
    bytes: &AtomicU64,
) -> Option<FileOutcome> {
    let unreadable = |note: String| FileOutcome {
        file: index,
        verdict: Verdict::Unreadable,
        kind: ContentKind::Unsupported,
        size: f.size,
        sha256: None,
        blob: None,
        rows: Vec::new(),
        note: Some(note),
    };
    let file = match open_regular(&f.fs_path) {
        Ok(file) => file,
        Err(e) => return Some(unreadable(io_note(&e))),
    };
    let mut hasher = MultiHasher::new(algorithms);
    let mut sniffer = Sniffer::new();
    let reader = Watched {
        file,
        cancel,
        bytes,
    };
    let stored = match blobs.put_observed(Tier::Source, reader, |chunk| {
        hasher.update(chunk);
        sniffer.update(chunk);
    }) {
        Ok(s) => s,
        Err(_) if cancel.load(Ordering::Relaxed) => return None,
        Err(e) => return Some(unreadable(e.to_string())),
    };
    let digests = hasher.finish().with(Algorithm::Sha256, &stored.sha256);
    let kind = sniffer.finish(f.path.extension().as_deref());
    let size = stored.blob.size;
    let mut note = None;
    let mut verdict = if !f.listed {
        Verdict::Extra
    } else if let Some(alg) = digests.first_mismatch(&f.expected) {
        note = Some(format!("its {alg} does not match the manifest"));
        Verdict::Mismatched
    } else if size == 0 {
        note = Some("the file is empty".into());
        Verdict::Empty
    } else if kind == ContentKind::Unsupported {
        note = Some("not DICOM, PNG, JPEG or UTF-8 text".into());
        Verdict::Unsupported
    } else if f.expected.is_empty() {
        Verdict::Baseline
    } else {
        Verdict::Verified
    };
    if size != f.size && note.is_none() {
        note = Some("its size changed while it was being received".into());
    }
    let mut rows = Vec::new();
    if verdict.is_good() && kind.has_rows() {
        match split_rows(blobs, &stored.blob, kind, rows_cfg) {
            Ok(r) => rows = r,
            Err(why) => {
                verdict = Verdict::Unsupported;
                note = Some(why);
            }
        }
    }
    Some(FileOutcome {
        file: index,
        verdict,
        kind,
        size,
        sha256: Some(stored.sha256),
        blob: Some(stored.blob),
        rows,
        note,
    })
}

/// Row numbers and byte sizes of a stored CSV/JSONL file's items.
fn split_rows(
    blobs: &BlobStore,
    blob: &BlobRef,
    kind: ContentKind,
    cfg: &RowConfig,
) -> Result<Vec<(u64, u64)>, String> {
    if blob.size > MAX_ROW_SPLIT_BYTES {
        return Err("too large to split into rows (over 128 MiB)".into());
    }
    let bytes = blobs.read_all(blob).map_err(|e| e.to_string())?;
    let rows = match kind {
        ContentKind::Csv => rows::csv_rows(&bytes, cfg.csv_column.as_deref()),
        _ => rows::jsonl_rows(&bytes, cfg.jsonl_field.as_deref()),
    }
    .map_err(|e| e.to_string())?;
    Ok(rows
        .iter()
        .map(|r| (r.index, r.text.len() as u64))
        .collect())
}

/// Runs `work` (indices into `files`) on every core; outcomes go to `tx`.
#[allow(clippy::too_many_arguments)]
fn run_workers(
    files: Arc<Vec<PlannedFile>>,
    work: Vec<usize>,
    blobs: Arc<BlobStore>,
    algorithms: Vec<Algorithm>,
    rows_cfg: RowConfig,
    cancel: Arc<AtomicBool>,
    bytes: Arc<AtomicU64>,
    tx: tokio::sync::mpsc::Sender<FileOutcome>,
) {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&index) = work.get(i) else { return };
                let Some(outcome) = receive_one(
                    index,
                    &files[index],
                    &blobs,
                    &algorithms,
                    &rows_cfg,
                    &cancel,
                    &bytes,
                ) else {
                    return;
                };
                if tx.blocking_send(outcome).is_err() {
                    return;
                }
            });
        }
    });
}

/// Identifies a delivery: the source folder, its manifest and its listing.
fn source_tag(blobs: &BlobStore, p: &Plan) -> Result<String, AppError> {
    let mut listing = Sha256::new();
    for f in &p.files {
        listing.update(f.path.as_str().as_bytes());
        listing.update([0]);
        listing.update(f.size.to_be_bytes());
    }
    for s in &p.skipped {
        listing.update(s.label.as_bytes());
        listing.update([1]);
    }
    let manifest = p
        .manifest_bytes
        .as_ref()
        .map(|b| Sha256::digest(b).to_vec())
        .unwrap_or_default();
    Ok(blobs.lookup_tag(
        Tier::Source,
        "ingest-batch",
        &[
            p.root.to_string_lossy().as_bytes(),
            p.mode.as_str().as_bytes(),
            &manifest,
            &listing.finalize(),
        ],
    )?)
}

fn path_tag(blobs: &BlobStore, batch: &str, path: &str) -> Result<String, AppError> {
    Ok(blobs.lookup_tag(
        Tier::Source,
        "ingest-path",
        &[batch.as_bytes(), path.as_bytes()],
    )?)
}

fn hex_expected(expected: &[(Algorithm, Vec<u8>)]) -> BTreeMap<Algorithm, String> {
    expected.iter().map(|(a, d)| (*a, hex::encode(d))).collect()
}

fn totals(files: &[ReceiptFile]) -> BTreeMap<Verdict, Tally> {
    let mut t: BTreeMap<Verdict, Tally> = BTreeMap::new();
    for f in files {
        let e = t.entry(f.verdict).or_default();
        e.files += 1;
        e.bytes += f.size;
    }
    t
}

fn verdict_counts(t: &BTreeMap<Verdict, Tally>) -> Vec<VerdictCount> {
    Verdict::ALL
        .into_iter()
        .filter_map(|v| {
            t.get(&v).map(|t| VerdictCount {
                verdict: v,
                files: t.files,
                bytes: t.bytes,
            })
        })
        .collect()
}

fn report_file(f: &ReceiptFile) -> ReportFile {
    ReportFile {
        path: f.path.clone(),
        verdict: f.verdict,
        size: f.size,
        kind: f.kind,
        sha256: f.sha256.clone(),
        expected: f.expected.iter().next_back().map(|(a, h)| ExpectedDigest {
            algorithm: *a,
            hex: h.clone(),
        }),
        items: f.items,
        note: f.note.clone(),
    }
}

/// The report for a finished batch, from its signed receipt.
pub(crate) fn report_from_receipt(
    r: &SignedReceipt,
    status: BatchStatus,
    items: u64,
    already_received: bool,
) -> IngestReport {
    let b = &r.receipt;
    IngestReport {
        batch_id: b.receipt_id.clone(),
        status,
        mode: b.source.mode,
        all_verified: b.all_verified(),
        cancelled: false,
        already_received,
        totals: verdict_counts(&b.totals),
        files: b.files.iter().map(report_file).collect(),
        bag_problems: b.bag_problems.clone(),
        warnings: b.warnings.clone(),
        receipt_sha256: Some(b.digest_hex()),
        items,
        files_read: 0,
        bytes_read: 0,
        elapsed_ms: 0,
    }
}

impl Session {
    fn ingest_blobs(&self) -> Result<BlobStore, AppError> {
        let source = self.keys.source.as_ref().ok_or_else(|| {
            AppError::new(
                ErrorCode::Forbidden,
                "This account's keys cannot store identifiable source data.",
            )
        })?;
        Ok(self.vault.blobs(&self.keys.work, Some(source)))
    }

    /// What a source holds (counts, manifest, problems already visible), before anything
    /// is read or stored. Lead only; reads nothing from the vault.
    pub async fn ingest_preflight(&self, req: &IngestRequest) -> Result<IngestPreflight, AppError> {
        let _grant = self.authorize(Action::Ingest).await?;
        let preq = plan_request(req);
        let p = tokio::task::spawn_blocking(move || plan::plan(&preq))
            .await
            .map_err(|_| AppError::new(ErrorCode::Internal, "Planning the ingest failed."))?
            .map_err(plan_error)?;
        let mut ext: HashMap<String, u64> = HashMap::new();
        for f in &p.files {
            *ext.entry(f.path.extension().unwrap_or_default())
                .or_default() += 1;
        }
        let mut extensions: Vec<ExtensionCount> = ext
            .into_iter()
            .map(|(extension, files)| ExtensionCount { extension, files })
            .collect();
        extensions.sort_by(|a, b| b.files.cmp(&a.files).then(a.extension.cmp(&b.extension)));
        let count = |w: fn(&Skipped) -> bool| p.skipped.iter().filter(|s| w(&s.why)).count() as u64;
        Ok(IngestPreflight {
            mode: p.mode,
            files: p.files.len() as u64,
            bytes: p.total_bytes(),
            listed: p
                .files
                .iter()
                .filter(|f| f.listed && p.mode != SourceMode::Folder)
                .count() as u64,
            extra: p.files.iter().filter(|f| !f.listed).count() as u64,
            missing: count(|s| matches!(s, Skipped::Missing)),
            unreadable: count(|s| !matches!(s, Skipped::Missing)),
            algorithms: std::iter::once(Algorithm::Sha256)
                .filter(|_| p.mode != SourceMode::Folder)
                .chain(p.algorithms.iter().copied())
                .collect(),
            extensions,
            bag_problems: p.bag_problems.clone(),
            warnings: p.warnings.clone(),
        })
    }

    /// Receives a delivery into the vault (lead only). `progress` is called at most every
    /// 250 ms; setting `cancel` stops after the files in flight (what is stored stays
    /// stored, and a rerun resumes). A delivery received before is recognised and its
    /// report returned without reading anything.
    pub async fn ingest(
        &mut self,
        req: &IngestRequest,
        progress: &(dyn Fn(IngestProgress) + Send + Sync),
        cancel: Arc<AtomicBool>,
    ) -> Result<IngestReport, AppError> {
        let _grant = self.authorize(Action::Ingest).await?;
        let started = Instant::now();
        let blobs = Arc::new(self.ingest_blobs()?);
        let lock = self.ingest_lock()?;
        let preq = plan_request(req);
        let planned = tokio::task::spawn_blocking(move || plan::plan(&preq))
            .await
            .map_err(|_| AppError::new(ErrorCode::Internal, "Planning the ingest failed."))?;
        let p = match planned {
            Ok(p) => p,
            Err(e) => {
                let mut d = self.draft(EventKind::IngestRefused, Outcome::Failure);
                d.detail.insert("reason".into(), refusal_code(&e).into());
                self.record_alone(d).await?;
                return Err(plan_error(e));
            }
        };
        blobs.sweep_stale_temps(STALE_TEMP);
        let tag = source_tag(&blobs, &p)?;
        let existing =
            sqlx::query("SELECT id, status, started_at FROM batches WHERE source_tag = ?")
                .bind(&tag)
                .fetch_optional(&self.pool)
                .await?;
        let (batch_id, started_at, resumed) = match existing {
            Some(row) => {
                let id: String = row.get(0);
                let status: String = row.get(1);
                if status != BatchStatus::Receiving.as_str() {
                    let report = self.stored_report(&id, true).await?;
                    let mut d = self.draft(EventKind::IngestRepeated, Outcome::Success);
                    d.object_kind = Some("batch".into());
                    d.object_id = Some(id.clone());
                    self.record_alone(d).await?;
                    drop(lock);
                    return Ok(report);
                }
                (id, row.get::<String, _>(2), true)
            }
            None => (uuid::Uuid::new_v4().to_string(), rfc3339(self.now()), false),
        };
        let mut tx = self.begin().await?;
        if !resumed {
            sqlx::query(
                "INSERT INTO batches (id, source_tag, mode, status, received_by, started_at) VALUES (?, ?, ?, 'receiving', ?, ?)",
            )
            .bind(&batch_id)
            .bind(&tag)
            .bind(p.mode.as_str())
            .bind(self.user_id.to_string())
            .bind(&started_at)
            .execute(&mut *tx)
            .await?;
        }
        let mut d = self.draft(EventKind::IngestStarted, Outcome::Success);
        d.object_kind = Some("batch".into());
        d.object_id = Some(batch_id.clone());
        d.detail.insert("mode".into(), p.mode.as_str().into());
        d.detail.insert("files".into(), p.files.len().into());
        d.detail.insert("bytes".into(), p.total_bytes().into());
        d.detail.insert("resumed".into(), resumed.into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;

        // What earlier runs already stored (by keyed path tag).
        let mut tags = Vec::with_capacity(p.files.len());
        for f in &p.files {
            tags.push(path_tag(&blobs, &batch_id, f.path.as_str())?);
        }
        let stored_rows = sqlx::query(
            "SELECT f.path_tag, f.id, f.size, f.mtime_ns, f.kind, f.verdict, f.sealed, \
             (SELECT count(*) FROM items i WHERE i.source_file_id = f.id) \
             FROM source_files f WHERE f.batch_id = ?",
        )
        .bind(&batch_id)
        .fetch_all(&self.pool)
        .await?;
        let mut done: HashMap<String, (i64, Option<i64>, FileResult)> = HashMap::new();
        for r in stored_rows {
            let id: String = r.get(1);
            let sealed: Vec<u8> = r.get(6);
            let opened = blobs.unseal(Tier::Source, id.as_bytes(), &sealed)?;
            let s: SealedFile = serde_json::from_slice(&opened).map_err(|_| {
                AppError::new(ErrorCode::VaultError, "A stored file record is damaged.")
            })?;
            let verdict = Verdict::parse(&r.get::<String, _>(5)).ok_or_else(|| {
                AppError::new(ErrorCode::VaultError, "A stored file record is damaged.")
            })?;
            done.insert(
                r.get(0),
                (
                    r.get(2),
                    r.get(3),
                    FileResult {
                        verdict,
                        kind: ContentKind::parse(&r.get::<String, _>(4)),
                        size: r.get::<i64, _>(2) as u64,
                        sha256: Some(s.sha256),
                        items: r.get::<i64, _>(7) as u64,
                        note: s.note,
                    },
                ),
            );
        }
        let mut results: Vec<Option<FileResult>> = vec![None; p.files.len()];
        let mut work = Vec::new();
        let mut bytes_before = 0u64;
        for (i, f) in p.files.iter().enumerate() {
            match done.get(&tags[i]) {
                Some((size, mtime, r)) if *size as u64 == f.size && *mtime == mtime_ns(f) => {
                    results[i] = Some(r.clone());
                    bytes_before += f.size;
                }
                _ => work.push(i),
            }
        }
        let skipped_before = p.files.len() - work.len();

        // The streaming pass: workers store, this task commits in small transactions.
        let files = Arc::new(p.files.clone());
        let bytes = Arc::new(AtomicU64::new(0));
        let (tx_out, mut rx) = tokio::sync::mpsc::channel::<FileOutcome>(64);
        let worker = tokio::task::spawn_blocking({
            let (files, blobs, cancel, bytes) =
                (files.clone(), blobs.clone(), cancel.clone(), bytes.clone());
            let algorithms: Vec<Algorithm> = p.algorithms.iter().copied().collect();
            let rows_cfg = row_config(req);
            let work = work.clone();
            move || {
                run_workers(
                    files, work, blobs, algorithms, rows_cfg, cancel, bytes, tx_out,
                )
            }
        });
        let rows_cfg = row_config(req);
        let mut pending: Vec<FileOutcome> = Vec::new();
        let mut last_commit = Instant::now();
        let mut last_progress = Instant::now() - PROGRESS_EVERY;
        let mut finished_files = skipped_before as u64;
        let mut files_read = 0u64;
        let mut failure: Option<AppError> = None;
        let total_bytes = p.total_bytes();
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        loop {
            let mut closed = false;
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(o) => pending.push(o),
                    None => closed = true,
                },
                _ = ticker.tick() => {}
            }
            let due = !pending.is_empty()
                && (closed
                    || pending.len() >= COMMIT_FILES
                    || last_commit.elapsed() >= COMMIT_EVERY);
            if due && failure.is_none() {
                // Item numbers follow path order within a commit.
                pending.sort_by_key(|o| o.file);
                match self
                    .commit_outcomes(&blobs, &batch_id, &p, &tags, &rows_cfg, &pending)
                    .await
                {
                    Ok(()) => {
                        for o in pending.drain(..) {
                            finished_files += 1;
                            if o.blob.is_some() {
                                files_read += 1;
                            }
                            results[o.file] = Some(FileResult {
                                verdict: o.verdict,
                                kind: o.blob.as_ref().map(|_| o.kind),
                                size: o.size,
                                sha256: o.sha256.map(hex::encode),
                                items: outcome_items(&o),
                                note: o.note,
                            });
                        }
                    }
                    Err(e) => {
                        cancel.store(true, Ordering::Relaxed);
                        failure = Some(e);
                        pending.clear();
                    }
                }
                last_commit = Instant::now();
            }
            if last_progress.elapsed() >= PROGRESS_EVERY || closed {
                progress(IngestProgress {
                    files_done: finished_files,
                    files_total: p.files.len() as u64,
                    bytes_done: (bytes_before + bytes.load(Ordering::Relaxed)).min(total_bytes),
                    bytes_total: total_bytes,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                });
                last_progress = Instant::now();
            }
            if closed {
                break;
            }
        }
        let _ = worker.await;
        self.last_activity = self.now();
        let bytes_read = bytes.load(Ordering::Relaxed);
        let interrupted = failure.is_some()
            || cancel.load(Ordering::Relaxed)
            || results.iter().any(|r| r.is_none());
        if interrupted {
            let mut d = self.draft(EventKind::IngestInterrupted, Outcome::Failure);
            d.object_kind = Some("batch".into());
            d.object_id = Some(batch_id.clone());
            d.detail.insert(
                "files_stored".into(),
                results.iter().filter(|r| r.is_some()).count().into(),
            );
            d.detail.insert(
                "reason".into(),
                if failure.is_some() {
                    "error"
                } else {
                    "cancelled"
                }
                .into(),
            );
            self.record_alone(d).await?;
            if let Some(e) = failure {
                return Err(e);
            }
            let receipt_files = receipt_files(&p, &results);
            let items = self.batch_item_count(&batch_id).await?;
            return Ok(IngestReport {
                batch_id,
                status: BatchStatus::Receiving,
                mode: p.mode,
                all_verified: false,
                cancelled: true,
                already_received: false,
                totals: verdict_counts(&totals(&receipt_files)),
                files: receipt_files.iter().map(report_file).collect(),
                bag_problems: p.bag_problems.clone(),
                warnings: p.warnings.clone(),
                receipt_sha256: None,
                items,
                files_read,
                bytes_read,
                elapsed_ms: started.elapsed().as_millis() as u64,
            });
        }
        let report = self
            .finish_batch(&blobs, &batch_id, &started_at, &p, &results)
            .await?;
        drop(lock);
        Ok(IngestReport {
            files_read,
            bytes_read,
            elapsed_ms: started.elapsed().as_millis() as u64,
            ..report
        })
    }

    /// Takes the vault's ingest lock (one ingest at a time, across processes).
    fn ingest_lock(&self) -> Result<std::fs::File, AppError> {
        let path = self.vault.dir().join("ingest.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| {
                AppError::from(airlock_vault::VaultError::io("opening the ingest lock", e))
            })?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(AppError::new(
                ErrorCode::Conflict,
                "Another ingest is running on this vault; wait for it to finish.",
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(AppError::from(
                airlock_vault::VaultError::io("taking the ingest lock", e),
            )),
        }
    }

    async fn batch_item_count(&self, batch: &str) -> Result<u64, AppError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM items WHERE batch_id = ?")
            .bind(batch)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// Stores the rows of files read so far, in one transaction.
    async fn commit_outcomes(
        &self,
        blobs: &BlobStore,
        batch: &str,
        p: &Plan,
        tags: &[String],
        rows_cfg: &RowConfig,
        outcomes: &[FileOutcome],
    ) -> Result<(), AppError> {
        let now = rfc3339(self.now());
        let mut tx = self.begin().await?;
        for o in outcomes {
            let Some(blob) = &o.blob else { continue };
            let f = &p.files[o.file];
            let id = uuid::Uuid::new_v4().to_string();
            let sealed = SealedFile {
                path: f.path.to_string(),
                sha256: o.sha256.map(hex::encode).unwrap_or_default(),
                expected: hex_expected(&f.expected),
                note: o.note.clone(),
            };
            let sealed = blobs.seal(
                Tier::Source,
                id.as_bytes(),
                &serde_json::to_vec(&sealed).expect("sealed records serialise"),
            )?;
            sqlx::query(
                "INSERT INTO source_files (id, batch_id, path_tag, size, mtime_ns, kind, verdict, blob_name, sealed, stored_at, row_field) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (batch_id, path_tag) DO NOTHING",
            )
            .bind(&id)
            .bind(batch)
            .bind(&tags[o.file])
            .bind(o.size as i64)
            .bind(mtime_ns(f))
            .bind(o.kind.as_str())
            .bind(o.verdict.as_str())
            .bind(&blob.name)
            .bind(sealed)
            .bind(&now)
            .bind(match o.kind {
                ContentKind::Csv => rows_cfg.csv_column.clone(),
                ContentKind::Jsonl => rows_cfg.jsonl_field.clone(),
                _ => None,
            })
            .execute(&mut *tx)
            .await?;
            let status = if o.verdict.is_good() {
                ItemStatus::Held
            } else {
                ItemStatus::Quarantined
            };
            let parts: Vec<(u64, u64)> = if o.rows.is_empty() {
                vec![(0, o.size)]
            } else {
                o.rows.clone()
            };
            for (part, size) in parts {
                sqlx::query(
                    "INSERT INTO items (id, number, batch_id, source_file_id, part, kind, size, status, created_at) \
                     VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM items), ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(batch)
                .bind(&id)
                .bind(part as i64)
                .bind(item_kind(o.kind))
                .bind(size as i64)
                .bind(status.as_str())
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Signs the receipt, stores it, settles the batch and its items, audits the result.
    async fn finish_batch(
        &self,
        blobs: &BlobStore,
        batch: &str,
        started_at: &str,
        p: &Plan,
        results: &[Option<FileResult>],
    ) -> Result<IngestReport, AppError> {
        let personal = self.keys.personal.as_ref().ok_or_else(|| {
            AppError::new(ErrorCode::Forbidden, "This session has no signing key.")
        })?;
        let files = receipt_files(p, results);
        let body = ReceiptBody {
            format: RECEIPT_FORMAT.into(),
            version: 1,
            receipt_id: batch.to_string(),
            vault_id: self.vault.id().to_string(),
            project: self.project_name.clone(),
            received_by: Receiver {
                user_id: self.user_id.to_string(),
                name: self.user_name.clone(),
                public_key: personal.signing_public_hex(),
            },
            started_at: started_at.to_string(),
            finished_at: rfc3339(self.now()),
            source: ReceiptSource {
                mode: p.mode,
                manifest_sha256: p
                    .manifest_bytes
                    .as_ref()
                    .map(|b| hex::encode(Sha256::digest(b))),
                algorithms: if p.mode == SourceMode::Folder {
                    Vec::new()
                } else {
                    std::iter::once(Algorithm::Sha256)
                        .chain(p.algorithms.iter().copied())
                        .collect()
                },
                bag_info: p.bag_info.clone(),
            },
            totals: totals(&files),
            files,
            bag_problems: p.bag_problems.clone(),
            warnings: p.warnings.clone(),
        };
        let all_verified = body.all_verified();
        let counts = body.totals.clone();
        let digest = body.digest_hex();
        let signed = body.sign(&personal.signing);
        let json = serde_json::to_vec_pretty(&signed).expect("receipts serialise");
        let receipt_blob = blobs.put(Tier::Source, &json[..])?;
        let status = if all_verified {
            BatchStatus::Received
        } else {
            BatchStatus::NeedsDecision
        };
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE batches SET status = ?, finished_at = ?, counts = ?, receipt_blob = ?, receipt_size = ?, receipt_sha256 = ? WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(&signed.receipt.finished_at)
        .bind(serde_json::to_string(&counts).expect("counts serialise"))
        .bind(&receipt_blob.name)
        .bind(receipt_blob.size as i64)
        .bind(&digest)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        if all_verified {
            sqlx::query(
                "UPDATE items SET status = 'received' WHERE batch_id = ? AND status = 'held'",
            )
            .bind(batch)
            .execute(&mut *tx)
            .await?;
        }
        let mut d = self.draft(EventKind::IngestCompleted, Outcome::Success);
        d.object_kind = Some("batch".into());
        d.object_id = Some(batch.to_string());
        d.detail
            .insert("receipt_sha256".into(), digest.clone().into());
        d.detail.insert("all_verified".into(), all_verified.into());
        let mut c = serde_json::Map::new();
        for (v, t) in &counts {
            c.insert(
                v.as_str().into(),
                serde_json::json!({"files": t.files, "bytes": t.bytes}),
            );
        }
        d.detail.insert("counts".into(), c.into());
        self.record(&mut tx, d).await?;
        self.checkpoint(&mut tx).await?;
        tx.commit().await?;
        let items = self.batch_item_count(batch).await?;
        Ok(report_from_receipt(&signed, status, items, false))
    }

    /// The signed receipt of a finished batch, verified.
    pub(crate) async fn load_receipt(
        &self,
        batch: &str,
    ) -> Result<(SignedReceipt, BatchStatus), AppError> {
        let row =
            sqlx::query("SELECT status, receipt_blob, receipt_size FROM batches WHERE id = ?")
                .bind(batch)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No batch has this id."))?;
        let status = BatchStatus::parse(&row.get::<String, _>(0))
            .ok_or_else(|| AppError::new(ErrorCode::VaultError, "A batch record is damaged."))?;
        let (Some(name), Some(size)) = (
            row.get::<Option<String>, _>(1),
            row.get::<Option<i64>, _>(2),
        ) else {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This batch has not finished; run the same ingest again to resume it.",
            ));
        };
        let blobs = self.ingest_blobs()?;
        let bytes = blobs.read_all(&BlobRef {
            tier: Tier::Source,
            name,
            size: size as u64,
        })?;
        let signed = airlock_ingest::receipt::verify_receipt(&bytes).map_err(|_| {
            AppError::new(
                ErrorCode::VaultError,
                "The batch's stored receipt does not verify.",
            )
        })?;
        Ok((signed, status))
    }

    /// The report of a finished batch.
    pub(crate) async fn stored_report(
        &self,
        batch: &str,
        already: bool,
    ) -> Result<IngestReport, AppError> {
        let (signed, status) = self.load_receipt(batch).await?;
        let items = self.batch_item_count(batch).await?;
        Ok(report_from_receipt(&signed, status, items, already))
    }
}

fn outcome_items(o: &FileOutcome) -> u64 {
    if o.blob.is_none() {
        0
    } else if o.rows.is_empty() {
        1
    } else {
        o.rows.len() as u64
    }
}

/// Every file of the plan with its result, in path order.
fn receipt_files(p: &Plan, results: &[Option<FileResult>]) -> Vec<ReceiptFile> {
    let mut out: Vec<ReceiptFile> = p
        .files
        .iter()
        .zip(results)
        .filter_map(|(f, r)| {
            let r = r.as_ref()?;
            Some(ReceiptFile {
                path: f.path.to_string(),
                verdict: r.verdict,
                size: r.size,
                sha256: r.sha256.clone(),
                expected: hex_expected(&f.expected),
                kind: r.kind,
                items: r.items,
                note: r.note.clone(),
            })
        })
        .collect();
    for s in &p.skipped {
        out.push(ReceiptFile {
            path: s.label.clone(),
            verdict: match s.why {
                Skipped::Missing => Verdict::Missing,
                _ => Verdict::Unreadable,
            },
            size: 0,
            sha256: None,
            expected: s
                .expected_digest
                .iter()
                .map(|(a, d)| (*a, hex::encode(d)))
                .collect(),
            kind: None,
            items: 0,
            note: Some(skipped_note(&s.why)),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// A stable, content-free code for why a plan was refused (for the audit trail).
fn refusal_code(e: &PlanError) -> &'static str {
    match e {
        PlanError::NotAFolder => "source_unreadable",
        PlanError::ManifestUnreadable => "manifest_unreadable",
        PlanError::Manifest(_) => "manifest_refused",
        PlanError::Bag(_) => "bag_refused",
        PlanError::NotABag => "not_a_bag",
        PlanError::BagWithManifest => "bag_with_manifest",
        PlanError::NoFiles => "no_files",
        _ => "refused",
    }
}
