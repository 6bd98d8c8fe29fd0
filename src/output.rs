//! Printing results: aligned text for people, JSON for scripts.

use crate::cli::Format;
use crate::progress::bytes;
use airlock_app::json::{
    AlertLevel, AuditPage, BatchDto, CertificateCheckDto, ContactInfo, CreatedVault,
    DeidBatchState, DeidDicomReport, DeidImageReport, DeidQueueRow, DeidReview, DeidRunReport,
    DeidTextReport, DemoInfo, DestroyReport, DicomReview, ExportReport, IngestReport, ItemPage,
    MergeReport, PackageDto, ProjectOverview, QueueEntry, ReceiptCheck, RegionTemplateDto,
    RetentionDto, SaveResult, Stage, StageState, UserDto, VaultInfo, VerdictCount, VerifyReport,
};
use airlock_app::BagReport;
use serde::Serialize;

fn json<T: Serialize>(v: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("DTOs always serialise")
    );
}

pub fn created(c: &CreatedVault, f: Format) {
    if f == Format::Json {
        return json(c);
    }
    println!("Created vault {} at {}.", c.vault.vault_id, c.vault.path);
    println!();
    println!("Recovery code (shown once; print it or write it down and store it sealed):");
    println!();
    println!("    {}", c.recovery_code);
    println!();
    println!("It is the only way back in if every lead forgets their passphrase.");
}

pub fn demo(d: &DemoInfo, f: Format) {
    if f == Format::Json {
        return json(d);
    }
    println!(
        "Created the demo project at {} (synthetic data only).",
        d.vault.path
    );
    println!();
    println!("{:<20} {:<12} passphrase", "user", "role");
    for u in &d.users {
        println!("{:<20} {:<12} {}", u.name, u.role.as_str(), u.passphrase);
    }
}

pub fn user_added(u: &UserDto, f: Format) {
    if f == Format::Json {
        return json(u);
    }
    println!("Added {} ({}), id {}.", u.name, u.role.as_str(), u.id);
}

pub fn users(list: &[UserDto], f: Format) {
    if f == Format::Json {
        return json(&list);
    }
    println!(
        "{:<24} {:<11} {:<9} {:<4} created",
        "name", "role", "status", "2fa"
    );
    for u in list {
        let status = serde_json::to_value(u.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{:<24} {:<11} {:<9} {:<4} {}",
            u.name,
            u.role.as_str(),
            status,
            if u.totp_enabled { "yes" } else { "no" },
            u.created_at
        );
    }
}

pub fn vault_info(i: &VaultInfo, f: Format) {
    if f == Format::Json {
        return json(i);
    }
    println!("project         {}", i.project_name);
    println!("vault id        {}", i.vault_id);
    println!("path            {}", i.path);
    println!("format version  {}", i.format_version);
    println!("created         {}", i.created_at);
    println!(
        "kdf             argon2id m={} KiB t={} p={}",
        i.kdf.memory_kib, i.kdf.iterations, i.kdf.parallelism
    );
    println!(
        "users           {} active, {} key slots, recovery slot {}",
        i.users,
        i.key_slots,
        if i.recovery_slot { "present" } else { "absent" }
    );
    println!("audit events    {}", i.audit_events);
    println!(
        "policy          lock after {} failed logins for {} min; idle lock after {} min",
        i.policy.max_failed_logins, i.policy.lockout_minutes, i.policy.idle_timeout_minutes
    );
}

/// The stage rail: one line per stage, then the alerts.
pub fn overview(o: &ProjectOverview, f: Format) {
    if f == Format::Json {
        return json(o);
    }
    for s in &o.stages {
        let state = match s.state {
            StageState::NotStarted => "not started",
            StageState::InProgress => "in progress",
            StageState::NeedsAttention => "needs attention",
            StageState::Done => "done",
        };
        let counts: Vec<String> = s
            .counts
            .iter()
            .map(|c| format!("{} {}", c.label, c.n))
            .collect();
        println!(
            "{:<12} {:<16} {}",
            stage_name(s.stage),
            state,
            counts.join(", ")
        );
        if let Some(next) = &s.next {
            println!("{:<12} → {next}", "");
        }
    }
    for a in &o.alerts {
        let mark = if a.level == AlertLevel::Danger {
            '✗'
        } else {
            '⚠'
        };
        println!("{mark} {}", a.message);
    }
}

fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Receive => "receive",
        Stage::Deidentify => "de-identify",
        Stage::Assign => "assign",
        Stage::Annotate => "annotate",
        Stage::Review => "review",
        Stage::Deliver => "deliver",
        Stage::Retain => "retain",
    }
}

pub fn verify(r: &VerifyReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    match &r.problem {
        None => {
            let signers = if r.signers.is_empty() {
                "nobody".to_string()
            } else {
                r.signers.join(", ")
            };
            println!(
                "✓ {} events, head {}…, {} checkpoints signed by {}",
                r.events,
                &r.head_hash[..r.head_hash.len().min(12)],
                r.checkpoints,
                signers
            );
            if r.segments > 0 {
                println!(
                    "✓ {} merged workspace audit segment(s), {} events, re-walked and linked",
                    r.segments, r.segment_events
                );
            }
        }
        Some(p) => {
            let kind = serde_json::to_value(p.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            println!("✗ chain broken ({kind}): {}", p.message);
        }
    }
}

pub fn audit_page(p: &AuditPage, f: Format) {
    if f == Format::Json {
        return json(p);
    }
    println!(
        "{:>6}  {:<27} {:<20} {:<20} outcome",
        "seq", "time", "actor", "action"
    );
    for r in &p.rows {
        let outcome = serde_json::to_value(r.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{:>6}  {:<27} {:<20} {:<20} {}{}",
            r.seq,
            r.ts,
            r.actor_name.as_deref().unwrap_or("-"),
            r.action.as_str(),
            outcome,
            if r.break_glass { "  [break-glass]" } else { "" }
        );
    }
    println!("{} of {} events shown", p.rows.len(), p.total);
}

fn name_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn totals_line(totals: &[VerdictCount]) -> String {
    totals
        .iter()
        .map(|t| format!("{} {} ({})", t.files, name_of(&t.verdict), bytes(t.bytes)))
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn ingest_report(r: &IngestReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    let state = if r.cancelled {
        "INTERRUPTED — run the same command again to resume".to_string()
    } else if r.already_received {
        format!(
            "already received ({}); nothing was stored again",
            name_of(&r.status)
        )
    } else if r.all_verified {
        "everything verified".to_string()
    } else {
        "PROBLEMS FOUND — problem files are quarantined, verified files held for your decision"
            .to_string()
    };
    println!("Batch {} ({}): {state}", r.batch_id, name_of(&r.mode));
    println!("  {}", totals_line(&r.totals));
    if r.files_read > 0 {
        let secs = (r.elapsed_ms as f64 / 1000.0).max(0.001);
        println!(
            "  read {} files, {} in {:.1} s ({}/s, {:.0} files/s); {} items in the vault from this batch",
            r.files_read,
            bytes(r.bytes_read),
            secs,
            bytes((r.bytes_read as f64 / secs) as u64),
            r.files_read as f64 / secs,
            r.items
        );
    }
    for p in &r.bag_problems {
        println!("  bag: {p}");
    }
    let bad: Vec<_> = r
        .files
        .iter()
        .filter(|f| !matches!(name_of(&f.verdict).as_str(), "verified" | "baseline"))
        .collect();
    if !bad.is_empty() {
        println!();
        println!("  {:<12} file", "verdict");
        for b in bad {
            println!("  {:<12} {}", name_of(&b.verdict), b.path);
            if let (Some(exp), Some(got)) = (&b.expected, &b.sha256) {
                if name_of(&b.verdict) == "mismatched" {
                    println!(
                        "  {:<12}   expected {} {}",
                        "",
                        name_of(&exp.algorithm),
                        exp.hex
                    );
                    println!("  {:<12}   actual   sha256 {got}", "");
                }
            }
            if let Some(n) = &b.note {
                println!("  {:<12}   {n}", "");
            }
        }
    }
    for w in &r.warnings {
        println!("  note: {w}");
    }
    if let Some(h) = &r.receipt_sha256 {
        println!(
            "  signed receipt sha256 {h} (export: airlock batch receipt {} --out FILE)",
            r.batch_id
        );
    }
}

pub fn batches(list: &[BatchDto], f: Format) {
    if f == Format::Json {
        return json(&list);
    }
    println!(
        "{:<36}  {:<8} {:<15} {:<20} totals",
        "batch", "mode", "status", "started"
    );
    for b in list {
        println!(
            "{:<36}  {:<8} {:<15} {:<20} {}",
            b.id,
            name_of(&b.mode),
            name_of(&b.status),
            b.started_at,
            totals_line(&b.totals)
        );
    }
}

pub fn items(p: &ItemPage, f: Format) {
    if f == Format::Json {
        return json(p);
    }
    println!(
        "{:>7}  {:<11} {:<12} {:>10}  source",
        "item", "kind", "status", "bytes"
    );
    for i in &p.rows {
        println!(
            "{:>7}  {:<11} {:<12} {:>10}  {}",
            i.number,
            i.kind,
            name_of(&i.status),
            i.size,
            i.source_name
        );
    }
    println!("{} of {} items shown", p.rows.len(), p.total);
}

pub fn receipt_check(c: &ReceiptCheck, f: Format) {
    if f == Format::Json {
        return json(c);
    }
    println!("{} {}", if c.ok { "✓" } else { "✗" }, c.message);
}

pub fn bag_report(r: &BagReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    let algs: Vec<_> = r.algorithms.iter().map(|a| a.as_str()).collect();
    if r.valid {
        println!(
            "✓ valid BagIt {} bag: {} payload files, {} checked with {}{}",
            r.version,
            r.payload_files,
            bytes(r.payload_bytes),
            algs.join(", "),
            if r.tag_manifests_checked {
                ", tag manifests checked"
            } else {
                ""
            }
        );
    } else {
        println!("✗ invalid bag ({} problems):", r.problems.len());
        for p in &r.problems {
            println!(
                "  {:<14} {}{}",
                name_of(&p.kind),
                p.path.as_deref().unwrap_or("-"),
                p.algorithm.map(|a| format!(" ({a})")).unwrap_or_default()
            );
        }
    }
    for w in &r.warnings {
        println!("  note: {w}");
    }
}

pub fn agreement<T: Serialize>(report: &T, f: Format) {
    let v = serde_json::to_value(report).expect("reports serialise");
    if f == Format::Json {
        return json(&v);
    }
    for key in [
        "percent_agreement",
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
    ] {
        match v.get(key) {
            Some(serde_json::Value::Number(n)) => {
                println!("{key:<20} {:.4}", n.as_f64().unwrap_or(f64::NAN))
            }
            Some(serde_json::Value::Null) => println!("{key:<20} undefined"),
            _ => {}
        }
    }
    if let Some(w) = v.get("warnings").and_then(|w| w.as_array()) {
        for w in w {
            if let Some(m) = w.get("message").and_then(|m| m.as_str()) {
                println!("note: {m}");
            }
        }
    }
}

pub fn deid_text(r: &DeidTextReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    println!(
        "De-identified {} file(s), {}; {} identifiers replaced.",
        r.files,
        bytes(r.bytes),
        r.findings
    );
    for c in &r.categories {
        println!("  {:<14} {:>8}", c.category, c.findings);
    }
    for x in &r.failed {
        println!("  skipped {} — {}", x.path, x.reason);
    }
}

pub fn deid_dicom(r: &DeidDicomReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    println!(
        "De-identified {} DICOM file(s), {}, to PS3.15 Annex E ({}); pixels cleaned in {}.",
        r.files,
        bytes(r.bytes),
        r.profile_edition,
        r.pixels_cleaned
    );
    for p in &r.needs_pixel_review {
        println!("  review {p} — it may show burned-in text (not cleaned and re-scanned)");
    }
    for x in &r.failed {
        println!("  skipped {} — {}", x.path, x.reason);
    }
}

pub fn deid_image(r: &DeidImageReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    println!(
        "De-identified {} image(s), {}, as PNG without metadata; burned-in text blacked out in {}.",
        r.files,
        bytes(r.bytes),
        r.pixels_cleaned
    );
    for p in &r.needs_pixel_review {
        println!("  review {p} — it may show burned-in text (no OCR re-scan confirmed it clean)");
    }
    for x in &r.failed {
        println!("  skipped {} — {}", x.path, x.reason);
    }
}

pub fn deid_run(r: &DeidRunReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    println!(
        "De-identified {} items ({} failed: not readable as their kind) in {:.1} s; {} identifiers replaced.",
        r.items,
        r.failed,
        r.elapsed_ms as f64 / 1000.0,
        r.findings
    );
    for c in &r.categories {
        println!("  {:<14} {:>8}", c.category, c.findings);
    }
}

pub fn deid_queue(rows: &[DeidQueueRow], f: Format) {
    if f == Format::Json {
        return json(&rows);
    }
    println!(
        "{:>6}  {:<20} {:>8} {:>4} {:<6}  item id / original name",
        "item", "status", "findings", "rev", "sample"
    );
    for r in rows {
        println!(
            "{:>6}  {:<20} {:>8} {:>4} {:<6}  {} {}",
            r.number,
            name_of(&r.status),
            r.findings,
            r.revision,
            if r.in_sample { "yes" } else { "" },
            r.item_id,
            r.source_name
        );
    }
}

pub fn region_templates(rows: &[RegionTemplateDto], f: Format) {
    if f == Format::Json {
        return json(&rows);
    }
    if rows.is_empty() {
        println!("No region templates kept yet (draw regions on a DICOM image in the desktop app's De-identify screen).");
        return;
    }
    println!(
        "{:<36}  {:<32} {:>11} {:>7}  from item, saved",
        "template id", "device", "size", "regions"
    );
    for t in rows {
        println!(
            "{:<36}  {:<32} {:>11} {:>7}  {} by {} at {}",
            t.id,
            format!("{} {}", t.device.manufacturer, t.device.model),
            format!("{}x{}", t.columns, t.rows),
            t.regions.len(),
            t.from_item_number,
            t.saved_by,
            t.saved_at
        );
    }
}

pub fn deid_review(r: &DeidReview, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    println!(
        "Item {} ({}), revision {}, {}",
        r.number,
        r.source_name,
        r.revision,
        name_of(&r.status)
    );
    println!("--- original (identifiable; this view is recorded) ---");
    println!("{}", r.original);
    println!("--- de-identified ---");
    println!("{}", r.deidentified);
    println!("--- spans ---");
    for s in &r.spans {
        println!(
            "  {:>6}..{:<6} {:<12} {:<11} {} ({:.2})",
            s.start, s.end, s.category, s.action, s.rule, s.confidence
        );
    }
}

pub fn dicom_review(r: &DicomReview, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    if r.method == "ps315_dicom" {
        println!(
            "Item {} ({}), DICOM, revision {}, {}; PS3.15 {}, codes {}",
            r.number,
            r.source_name,
            r.revision,
            name_of(&r.status),
            r.profile_edition,
            r.method_codes.join(" ")
        );
    } else {
        println!(
            "Item {} ({}), image re-encoded as PNG without metadata, revision {}, {}",
            r.number,
            r.source_name,
            r.revision,
            name_of(&r.status),
        );
    }
    if r.columns > 0 {
        println!(
            "image {}×{}, {} frame(s); {}; {}",
            r.columns,
            r.rows,
            r.frames,
            if r.pixels_cleaned {
                format!("{} regions blacked out", r.pixel_regions)
            } else {
                "pixels unchanged".into()
            },
            match r.residual_words {
                Some(n) => format!("re-scan: {n} words left"),
                None => "no re-scan".into(),
            }
        );
    }
    if let Some(d) = &r.device {
        println!(
            "device {} {}; {}",
            d.manufacturer,
            d.model,
            match &r.device_template {
                Some(t) => format!(
                    "template {} ({} {})",
                    t.id,
                    t.regions.len(),
                    if t.regions.len() == 1 {
                        "region"
                    } else {
                        "regions"
                    }
                ),
                None => "no region template for this size".into(),
            }
        );
    }
    if r.needs_pixel_review {
        println!("⚠ it may still show burned-in text: review it in the desktop app");
    }
    println!(
        "--- {} (original values are identifiable; this view is recorded) ---",
        if r.method == "ps315_dicom" {
            "header"
        } else {
            "file and metadata"
        }
    );
    for h in r.header.iter().filter(|h| h.treatment.is_some()) {
        let place = if r.method == "ps315_dicom" || h.tag.is_empty() {
            &h.path
        } else {
            &h.tag
        };
        println!(
            "  {:<28} {:<28} {:<24} → {:<24} {}{}",
            place,
            h.keyword,
            h.original.as_deref().unwrap_or("—"),
            h.result.as_deref().unwrap_or("—"),
            h.treatment.as_deref().unwrap_or(""),
            h.code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        );
    }
}

pub fn deid_state(s: &DeidBatchState, f: Format) {
    if f == Format::Json {
        return json(s);
    }
    println!(
        "Batch {}: {} items — {} pending, {} proposed, {} validated, {} failed; sample {} ({} validated); {} identifiers added by hand",
        s.batch_id, s.items, s.pending, s.proposed, s.validated, s.failed, s.sample_size, s.sample_validated, s.misses
    );
    match (&s.signed_off, &s.blocker) {
        (Some(so), _) => println!("Signed off by {} at {}.", so.signed_by, so.signed_at),
        (None, Some(b)) => println!("Not ready to sign off: {b}"),
        (None, None) => println!("Ready to sign off: airlock deid sign-off {}", s.batch_id),
    }
}

pub fn export(r: &ExportReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    println!(
        "Exported {} items ({}) to {}{}.",
        r.items,
        r.formats.join(", "),
        r.path,
        if r.plaintext {
            " as a PLAINTEXT bag (recorded)"
        } else {
            ""
        }
    );
    if let Some(h) = &r.file_sha256 {
        println!("  file sha256 {h}");
    }
    println!("  signed tag manifest sha256 {}", r.tagmanifest_sha256);
    println!("  the client checks it with: {}", r.how_to_verify);
}

pub fn retention(r: &RetentionDto, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    match (&r.retention_date, r.days_left) {
        (Some(d), Some(n)) if n <= 0 => println!("Retention ended on {d}: destruction is due."),
        (Some(d), Some(n)) => println!(
            "Kept until {d} ({n} days left){}.",
            if r.remind { " — reminder" } else { "" }
        ),
        _ => println!("No retention date is set."),
    }
    if let Some(rule) = &r.rule {
        println!("  rule: {rule}");
    }
    println!(
        "  last audit export: {}",
        r.last_audit_export.as_deref().unwrap_or("never")
    );
    println!("  deliverables outside the vault: {}", r.exports.len());
    for e in &r.exports {
        println!(
            "    {} {} — {} (to {})",
            e.created_at, e.form, e.what, e.recipient
        );
    }
}

pub fn destroy(r: &DestroyReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    println!(
        "{} The vault was destroyed{}: {} files ({}) removed; verification {}.",
        if r.verified { "✓" } else { "✗" },
        if r.resumed {
            " (an interrupted destruction was finished)"
        } else {
            ""
        },
        r.files_removed,
        bytes(r.bytes_removed),
        if r.verified { "passed" } else { "FAILED" }
    );
    println!(
        "  certificate: {} and {}",
        r.certificate_json, r.certificate_pdf
    );
    println!("  final audit log: {}", r.audit_export);
    println!("  fingerprint: {}", r.fingerprint);
    println!(
        "  check it with: airlock certificate verify {} --audit {}",
        r.certificate_json, r.audit_export
    );
}

pub fn certificate_check(c: &CertificateCheckDto, f: Format) {
    if f == Format::Json {
        return json(c);
    }
    println!("{} {}", if c.ok { "✓" } else { "✗" }, c.message);
    if let Some(fp) = &c.fingerprint {
        println!("  fingerprint {fp}");
    }
    if let Some(m) = c.audit_matches {
        println!(
            "  audit log {}",
            if m {
                "matches the certificate"
            } else {
                "does NOT match the certificate"
            }
        );
    }
}

pub fn queue(q: &[QueueEntry], f: Format) {
    if f == Format::Json {
        return json(&q);
    }
    if q.is_empty() {
        println!("Nothing assigned.");
    }
    for e in q {
        println!(
            "{}  item {:>5}  {:<12} {}",
            e.assignment_id,
            e.item_number,
            name_of(&e.status),
            e.schema
        );
    }
}

pub fn saved(r: &SaveResult, submitted: bool, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    println!(
        "Saved revision {}{}.",
        r.revision,
        if submitted { " and submitted it" } else { "" }
    );
}

pub fn contact(c: &ContactInfo, f: Format) {
    if f == Format::Json {
        return json(c);
    }
    println!(
        "Contact card of {}, fingerprint {}.",
        c.user_name, c.fingerprint
    );
    println!("Compare the fingerprint with its owner before relying on it.");
}

pub fn package(p: &PackageDto, f: Format) {
    if f == Format::Json {
        return json(p);
    }
    println!(
        "Package {} ({}): {} assignment(s) for {}, expires {}.",
        p.id,
        name_of(&p.status),
        p.assignments,
        p.user_name,
        p.expires_at
    );
}

pub fn packages(list: &[PackageDto], f: Format) {
    if f == Format::Json {
        return json(&list);
    }
    if list.is_empty() {
        println!("No work packages.");
    }
    for p in list {
        println!(
            "{}  {:<7} {:<9} {:<20} {:>4} assignment(s)  {:>3} conflict(s)  expires {}",
            p.id,
            name_of(&p.direction),
            name_of(&p.status),
            p.user_name,
            p.assignments,
            p.conflicts,
            p.expires_at
        );
    }
}

pub fn merge(r: &MergeReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    if r.already_merged {
        println!("Result {} was merged before: nothing changed.", r.result_id);
        return;
    }
    println!(
        "Merged result {}: {} label change(s) on {} assignment(s), {} conflict(s) sent to review, {} audit event(s) linked.",
        r.result_id, r.changes, r.assignments, r.conflicts, r.segment_events
    );
}
