//! The printable certificate of destruction: an A4 PDF made with krilla, fonts embedded
//! (DejaVu Sans, Sans Bold, Sans Mono, subset into the file; see `fonts/README.md`).
//!
//! Layout: a title block with the certificate's fingerprint, then sections of a
//! two-column table (field name, value wrapped to the column), the exports still outside
//! the vault, what the certificate does not cover, and a signature block per signer with
//! their key, their Ed25519 signature and a line for a handwritten signature. Every page
//! has a footer with the certificate id and "Page N of M". Rows that do not fit move to
//! the next page; a row taller than a page continues there.
//!
//! Text is laid out glyph by glyph from the fonts' horizontal advances (no kerning, no
//! shaping), which is exact for the Latin, Greek and Cyrillic text DejaVu covers;
//! characters outside the fonts show as the fonts' missing-glyph box but stay in the
//! text layer.

use crate::certificate::{CertificateCheck, Person, SignerRole, VerificationResult};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;
use time::OffsetDateTime;

static SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
static MONO: &[u8] = include_bytes!("../fonts/DejaVuSansMono.ttf");

const PAGE_W: f32 = 595.276;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 50.0;
const TOP: f32 = 52.0;
const CONTENT_BOTTOM: f32 = PAGE_H - 70.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const LABEL_W: f32 = 148.0;
const GUTTER: f32 = 12.0;
const VALUE_X: f32 = MARGIN_X + LABEL_W + GUTTER;
const VALUE_W: f32 = PAGE_W - MARGIN_X - VALUE_X;
const BODY: f32 = 8.8;
const LEADING: f32 = 1.36;
const ROW_PAD: f32 = 3.2;
/// Room a signature block needs below its heading, so it never splits across pages.
const SIGNATURE_BLOCK_H: f32 = 190.0;

const INK: (u8, u8, u8) = (0x1a, 0x1a, 0x1a);
const MUTED: (u8, u8, u8) = (0x55, 0x5b, 0x63);
const HEADING: (u8, u8, u8) = (0x1f, 0x3a, 0x5f);
const RULE: (u8, u8, u8) = (0xc9, 0xce, 0xd6);
const BAND: (u8, u8, u8) = (0xee, 0xf1, 0xf5);
const PASS: (u8, u8, u8) = (0x1e, 0x7b, 0x34);
const FAIL: (u8, u8, u8) = (0xb0, 0x00, 0x20);

/// Why the PDF could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// krilla could not write the document.
    #[error("the PDF could not be written")]
    Render,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
    Mono,
}

struct FontSet {
    fonts: [(Font, ttf_parser::Face<'static>); 3],
}

impl FontSet {
    fn load() -> FontSet {
        let load = |data: &'static [u8]| {
            (
                Font::new(data.into(), 0).expect("the embedded font loads"),
                ttf_parser::Face::parse(data, 0).expect("the embedded font parses"),
            )
        };
        FontSet {
            fonts: [load(SANS), load(SANS_BOLD), load(MONO)],
        }
    }

    fn get(&self, face: Face) -> &(Font, ttf_parser::Face<'static>) {
        &self.fonts[face as usize]
    }

    fn advance(&self, face: Face, c: char) -> f32 {
        let f = &self.get(face).1;
        let gid = f.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
        f32::from(f.glyph_hor_advance(gid).unwrap_or(0)) / f32::from(f.units_per_em())
    }

    fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        text.chars().map(|c| self.advance(face, c)).sum::<f32>() * size
    }

    /// Breaks `text` into lines no wider than `max`: at spaces where possible, inside a
    /// word only when the word alone is too wide; `\n` always breaks.
    fn wrap(&self, face: Face, size: f32, max: f32, text: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(face, size, &candidate) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if !line.is_empty() && self.width(face, size, &next) > max {
                        lines.push(std::mem::take(&mut line));
                        next = c.to_string();
                    }
                    line = next;
                }
            }
            lines.push(line);
        }
        lines
    }
}

enum Op {
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        color: (u8, u8, u8),
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: (u8, u8, u8),
    },
    Line {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        color: (u8, u8, u8),
    },
}

/// How a table value is set.
#[derive(Clone, Copy)]
struct Style {
    face: Face,
    size: f32,
    color: (u8, u8, u8),
}

const PLAIN: Style = Style {
    face: Face::Regular,
    size: BODY,
    color: INK,
};
const MONO_STYLE: Style = Style {
    face: Face::Mono,
    size: 7.9,
    color: INK,
};

struct Layout {
    fonts: FontSet,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            fonts: FontSet::load(),
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("there is always a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    fn room(&self) -> f32 {
        CONTENT_BOTTOM - self.y
    }

    fn text(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        self.ops().push(Op::Text {
            x,
            y: baseline,
            face: style.face,
            size: style.size,
            color: style.color,
            text: text.to_string(),
        });
    }

    fn rule(&mut self, y: f32, width: f32, color: (u8, u8, u8)) {
        self.ops().push(Op::Line {
            x1: MARGIN_X,
            x2: PAGE_W - MARGIN_X,
            y,
            width,
            color,
        });
    }

    fn title(&mut self, check: &CertificateCheck) {
        let c = &check.certificate;
        let big = Style {
            face: Face::Bold,
            size: 19.0,
            color: HEADING,
        };
        self.text(MARGIN_X, self.y + 18.0, big, "Certificate of Destruction");
        self.y += 30.0;
        let sub = Style {
            face: Face::Regular,
            size: 9.5,
            color: MUTED,
        };
        self.text(
            MARGIN_X,
            self.y + 9.0,
            sub,
            "Certificate of Sanitization following NIST SP 800-88 Rev. 1, Appendix G",
        );
        self.y += 15.0;
        let line = format!("{} · {}", c.organization.name, c.project.name);
        let mut lines = self.fonts.wrap(Face::Regular, 9.5, CONTENT_W, &line);
        lines.push(format!("Issued {}", human_time(c.issued_at)));
        for l in lines {
            self.text(MARGIN_X, self.y + 9.0, sub, &l);
            self.y += 13.0;
        }
        self.y += 6.0;
        let h = 34.0;
        let y = self.y;
        self.ops().push(Op::Rect {
            x: MARGIN_X,
            y,
            w: CONTENT_W,
            h,
            color: BAND,
        });
        let label = Style {
            face: Face::Bold,
            size: 7.6,
            color: MUTED,
        };
        self.text(
            MARGIN_X + 8.0,
            self.y + 12.0,
            label,
            "CERTIFICATE FINGERPRINT: SHA-256 OF THE CANONICAL SIGNED JSON",
        );
        let mono = Style {
            face: Face::Mono,
            size: 8.6,
            color: INK,
        };
        self.text(MARGIN_X + 8.0, self.y + 25.5, mono, &check.fingerprint);
        self.y += h + 10.0;
    }

    /// A section heading, starting a new page unless `keep` points fit below it.
    fn section(&mut self, heading: &str, keep: f32) {
        if self.room() < keep + 26.0 {
            self.new_page();
        }
        self.y += 8.0;
        let style = Style {
            face: Face::Bold,
            size: 11.0,
            color: HEADING,
        };
        self.text(MARGIN_X, self.y + 11.0, style, heading);
        self.y += 15.5;
        self.rule(self.y, 0.9, HEADING);
        self.y += 1.5;
    }

    /// A bold heading inside a section, kept with the `keep` points that follow it.
    fn subheading(&mut self, text: &str, keep: f32) {
        if self.room() < keep + 18.0 {
            self.new_page();
        }
        self.y += 5.0;
        let style = Style {
            face: Face::Bold,
            size: 9.4,
            color: INK,
        };
        self.text(MARGIN_X, self.y + 9.4, style, text);
        self.y += 13.0;
    }

    /// A two-column row; long values wrap and, if need be, continue on the next page.
    fn row(&mut self, label: &str, value: &str, style: Style) {
        let label_style = Style {
            face: Face::Bold,
            size: 8.2,
            color: MUTED,
        };
        let labels = self
            .fonts
            .wrap(label_style.face, label_style.size, LABEL_W, label);
        let value = if value.trim().is_empty() {
            "—"
        } else {
            value
        };
        let values = self.fonts.wrap(style.face, style.size, VALUE_W, value);
        let lh = style.size.max(label_style.size) * LEADING;
        let mut start = 0;
        let mut first = true;
        while start < values.len() || first {
            let total_lines = labels.len().max(values.len() - start);
            let fits = ((self.room() - 2.0 * ROW_PAD) / lh).floor().max(0.0) as usize;
            if fits < total_lines.min(3) && self.y > TOP {
                self.new_page();
                continue;
            }
            let take = (values.len() - start).min(fits.max(1));
            let top = self.y + ROW_PAD;
            let shown_labels: Vec<String> = if first {
                labels.clone()
            } else {
                vec![format!("{label} (continued)")]
            };
            for (i, l) in shown_labels.iter().enumerate() {
                self.text(
                    MARGIN_X,
                    top + lh * (i as f32) + label_style.size,
                    label_style,
                    l,
                );
            }
            for (i, v) in values[start..start + take].iter().enumerate() {
                self.text(VALUE_X, top + lh * (i as f32) + style.size, style, v);
            }
            let lines = take.max(if first { labels.len() } else { 1 });
            self.y = top + lh * lines as f32 + ROW_PAD;
            self.rule(self.y, 0.4, RULE);
            start += take;
            first = false;
            if start < values.len() {
                self.new_page();
            }
        }
    }

    /// A full-width paragraph, split across pages by lines.
    fn paragraph(&mut self, text: &str, style: Style, indent: f32, bullet: Option<&str>) {
        let lh = style.size * LEADING;
        let lines = self
            .fonts
            .wrap(style.face, style.size, CONTENT_W - indent, text);
        for (i, l) in lines.iter().enumerate() {
            if self.room() < lh {
                self.new_page();
            }
            if let (0, Some(b)) = (i, bullet) {
                self.text(MARGIN_X + indent - 10.0, self.y + style.size, style, b);
            }
            self.text(MARGIN_X + indent, self.y + style.size, style, l);
            self.y += lh;
        }
        self.y += 2.5;
    }

    fn signature_block(&mut self, role: SignerRole, p: &Person, signature: Option<&str>) {
        let heading = match role {
            SignerRole::Sanitizer => "Person performing sanitization",
            SignerRole::Verifier => "Person validating sanitization (verifier)",
        };
        self.subheading(heading, SIGNATURE_BLOCK_H);
        self.row("Name", &p.name, PLAIN);
        self.row("Title", &p.title, PLAIN);
        self.row("Organization", &p.organization, PLAIN);
        self.row("Location", &p.location, PLAIN);
        self.row("Contact", &p.contact, PLAIN);
        self.row("Signed", &human_time(p.signed_at), PLAIN);
        self.row("Ed25519 public key", &p.public_key, MONO_STYLE);
        self.row(
            "Digital signature",
            signature.unwrap_or("(not signed)"),
            MONO_STYLE,
        );
        self.y += 26.0;
        let y = self.y;
        for (x1, x2) in [
            (MARGIN_X, MARGIN_X + 250.0),
            (MARGIN_X + 300.0, PAGE_W - MARGIN_X),
        ] {
            self.ops().push(Op::Line {
                x1,
                x2,
                y,
                width: 0.7,
                color: INK,
            });
        }
        let small = Style {
            face: Face::Regular,
            size: 7.6,
            color: MUTED,
        };
        self.text(MARGIN_X, y + 10.0, small, "Handwritten signature");
        self.text(MARGIN_X + 300.0, y + 10.0, small, "Date");
        self.y += 22.0;
    }
}

/// `2026-11-20 10:05:00 UTC` (or with the offset, when not UTC).
fn human_time(t: OffsetDateTime) -> String {
    let base = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let off = t.offset();
    if off.is_utc() {
        format!("{base} UTC")
    } else {
        let (h, m, _) = off.as_hms();
        format!(
            "{base} UTC{}{:02}:{:02}",
            if h < 0 || m < 0 { '-' } else { '+' },
            h.unsigned_abs(),
            m.unsigned_abs()
        )
    }
}

/// `1.2 MB (1,234,567 bytes)`.
fn human_bytes(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if n < 1000 {
        return format!("{grouped} bytes");
    }
    let units = ["KB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64 / 1000.0;
    let mut u = 0;
    while v >= 1000.0 && u < units.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.1} {} ({grouped} bytes)", units[u])
}

fn or_dash(v: &Option<String>) -> &str {
    v.as_deref().filter(|s| !s.is_empty()).unwrap_or("—")
}

fn content(layout: &mut Layout, check: &CertificateCheck) {
    let c = &check.certificate;
    layout.title(check);

    layout.section("Certificate", 60.0);
    layout.row("Certificate ID", &c.certificate_id, PLAIN);
    layout.row("Issued", &human_time(c.issued_at), PLAIN);
    layout.row("Standard", &c.standard, PLAIN);
    layout.row("Organization", &c.organization.name, PLAIN);
    layout.row("Address", or_dash(&c.organization.address), PLAIN);
    layout.row(
        "Privacy / compliance contact",
        &c.organization.contact,
        PLAIN,
    );
    layout.row(
        "Project",
        &format!("{} ({})", c.project.name, c.project.id),
        PLAIN,
    );
    layout.row("Vault ID", &c.project.vault_id, MONO_STYLE);

    layout.section("Data destroyed", 60.0);
    let d = &c.data;
    layout.row("Description", &d.description, PLAIN);
    layout.row("Items", &d.item_count.to_string(), PLAIN);
    layout.row(
        "Files",
        &format!(
            "{} as received (source), {} derived in the vault",
            d.source_file_count, d.derived_file_count
        ),
        PLAIN,
    );
    layout.row("Total size", &human_bytes(d.total_bytes), PLAIN);
    let types: Vec<String> = d
        .content_types
        .iter()
        .map(|t| format!("{}: {} ({})", t.kind, t.count, human_bytes(t.bytes)))
        .collect();
    layout.row("Content types", &types.join("\n"), PLAIN);
    layout.row("PHI categories", &d.phi_categories.join(", "), PLAIN);

    layout.section("Media", 60.0);
    let m = &c.media;
    layout.row("Media type", &m.media_type, PLAIN);
    layout.row("What was sanitized", &m.description, PLAIN);
    layout.row("Make / vendor", or_dash(&m.make_vendor), PLAIN);
    layout.row("Model", or_dash(&m.model), PLAIN);
    layout.row("Serial number", or_dash(&m.serial_number), PLAIN);
    layout.row("Property number", or_dash(&m.property_number), PLAIN);
    layout.row("Source", &m.source, PLAIN);
    layout.row("Classification", &m.classification, PLAIN);
    layout.row("Data backed up", &m.data_backed_up, PLAIN);
    layout.row("Backup location", or_dash(&m.backup_location), PLAIN);

    layout.section("Sanitization", 60.0);
    let s = &c.sanitization;
    layout.row("Method type", &s.method_type, PLAIN);
    layout.row("Method used", &s.method_used, PLAIN);
    layout.row("Technique", &s.technique, PLAIN);
    layout.row("Tool", &format!("{} {}", s.tool, s.tool_version), PLAIN);
    layout.row("Started", &human_time(s.started_at), PLAIN);
    layout.row("Ended", &human_time(s.ended_at), PLAIN);
    layout.row(
        "Interrupted and resumed",
        if s.resumed_after_interruption {
            "Yes: an interrupted run was resumed (see the steps)"
        } else {
            "No"
        },
        PLAIN,
    );
    let steps: Vec<String> = s
        .steps
        .iter()
        .map(|st| {
            format!(
                "{}  {}: {}",
                human_time(st.completed_at),
                st.step,
                st.detail
            )
        })
        .collect();
    layout.row("Steps", &steps.join("\n"), PLAIN);
    layout.row(
        "Post-sanitization classification",
        &s.post_sanitization_classification,
        PLAIN,
    );
    layout.row("Notes", or_dash(&s.notes), PLAIN);
    layout.row("Why cryptographic erase", &s.rationale, PLAIN);

    layout.section("Verification", 60.0);
    let v = &c.verification;
    layout.row("Method", &v.method, PLAIN);
    let (result, color) = match v.result {
        VerificationResult::Passed => ("PASSED", PASS),
        VerificationResult::Failed => ("FAILED", FAIL),
    };
    layout.row(
        "Result",
        result,
        Style {
            face: Face::Bold,
            size: BODY,
            color,
        },
    );
    layout.row("Details", &v.details, PLAIN);
    layout.row("Verified", &human_time(v.verified_at), PLAIN);
    layout.row("Media destination", &c.media_destination, PLAIN);

    layout.section("Audit trail", 90.0);
    let a = &c.audit;
    layout.row("Final head hash", &a.final_head_hash, MONO_STYLE);
    layout.row("Events", &a.event_count.to_string(), PLAIN);
    layout.row("Final audit export SHA-256", &a.export_sha256, MONO_STYLE);
    layout.row("Exported", &human_time(a.exported_at), PLAIN);

    layout.section("Exports still outside the vault", 90.0);
    if c.outstanding_exports.is_empty() {
        layout.paragraph(
            "None: no export of this project exists outside the vault.",
            PLAIN,
            0.0,
            None,
        );
    } else {
        layout.paragraph(
            "These copies were made before destruction and are not destroyed by it. Whoever holds them must destroy them.",
            PLAIN,
            0.0,
            None,
        );
        for e in &c.outstanding_exports {
            layout.subheading(&format!("Export {}", e.export_id), 70.0);
            layout.row("What", &e.what, PLAIN);
            layout.row("Form", &e.form, PLAIN);
            layout.row(
                "Made",
                &format!("{} by {}", human_time(e.created_at), e.exported_by),
                PLAIN,
            );
            layout.row("For (recipient)", &e.recipient, PLAIN);
            layout.row("File SHA-256", or_dash(&e.file_sha256), MONO_STYLE);
        }
    }

    layout.section("What this certificate does not cover", 60.0);
    for n in &c.not_covered {
        layout.paragraph(n, PLAIN, 12.0, Some("•"));
    }

    layout.section("Signatures", SIGNATURE_BLOCK_H + 40.0);
    layout.paragraph(&c.attestation, PLAIN, 0.0, None);
    let sig = |role: SignerRole| {
        check
            .signatures
            .iter()
            .find(|s| s.role == role)
            .map(|s| s.signature.as_str())
    };
    layout.signature_block(
        SignerRole::Sanitizer,
        &c.sanitizer,
        sig(SignerRole::Sanitizer),
    );
    match &c.verifier {
        Some(p) => layout.signature_block(SignerRole::Verifier, p, sig(SignerRole::Verifier)),
        None => layout.paragraph(
            "No second person verified this sanitization.",
            PLAIN,
            0.0,
            None,
        ),
    }
}

fn fill(color: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

fn draw(surface: &mut krilla::surface::Surface<'_>, fonts: &FontSet, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            face,
            size,
            color,
            text,
        } => {
            let (font, parsed) = fonts.get(*face);
            let upem = f32::from(parsed.units_per_em());
            let glyphs: Vec<KrillaGlyph> = text
                .char_indices()
                .map(|(i, c)| {
                    let gid = parsed.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
                    let adv = f32::from(parsed.glyph_hor_advance(gid).unwrap_or(0)) / upem;
                    KrillaGlyph::new(
                        GlyphId::new(u32::from(gid.0)),
                        adv,
                        0.0,
                        0.0,
                        0.0,
                        i..i + c.len_utf8(),
                        None,
                    )
                })
                .collect();
            surface.set_stroke(None);
            surface.set_fill(Some(fill(*color)));
            surface.draw_glyphs(
                Point::from_xy(*x, *y),
                &glyphs,
                font.clone(),
                text,
                *size,
                false,
            );
        }
        Op::Rect { x, y, w, h, color } => {
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                if let Some(path) = pb.finish() {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(*color)));
                    surface.draw_path(&path);
                }
            }
        }
        Op::Line {
            x1,
            x2,
            y,
            width,
            color,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y);
            pb.line_to(*x2, *y);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(color.0, color.1, color.2).into(),
                    width: *width,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
            }
        }
    }
}

/// Renders a verified certificate as an A4 PDF. Taking a [`CertificateCheck`] means only
/// a certificate whose signatures hold is ever printed, with its true fingerprint.
pub fn render_certificate_pdf(check: &CertificateCheck) -> Result<Vec<u8>, PdfError> {
    let mut layout = Layout::new();
    content(&mut layout, check);
    let total = layout.pages.len();
    let c = &check.certificate;
    for (i, ops) in layout.pages.iter_mut().enumerate() {
        let y = PAGE_H - 44.0;
        ops.push(Op::Line {
            x1: MARGIN_X,
            x2: PAGE_W - MARGIN_X,
            y,
            width: 0.5,
            color: RULE,
        });
        let small = |text: String, x: f32, y: f32| Op::Text {
            x,
            y,
            face: Face::Regular,
            size: 7.4,
            color: MUTED,
            text,
        };
        ops.push(small(
            format!("Certificate of destruction {}", c.certificate_id),
            MARGIN_X,
            y + 12.0,
        ));
        ops.push(small(
            format!(
                "Verify the signed JSON with: airlock certificate verify CERT.json   ·   fingerprint {}…",
                &check.fingerprint[..16]
            ),
            MARGIN_X,
            y + 22.0,
        ));
        let page = format!("Page {} of {total}", i + 1);
        let w = layout.fonts.width(Face::Regular, 7.4, &page);
        ops.push(small(page, PAGE_W - MARGIN_X - w, y + 12.0));
    }
    let mut doc = Document::new();
    let t = c.issued_at.to_offset(time::UtcOffset::UTC);
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("Certificate of Destruction {}", c.certificate_id))
            .creator("Airlock".to_string())
            .language("en".to_string())
            .creation_date(
                krilla::metadata::DateTime::new(t.year().clamp(0, 9999) as u16)
                    .month(u8::from(t.month()))
                    .day(t.day())
                    .hour(t.hour())
                    .minute(t.minute())
                    .second(t.second())
                    .utc_offset_hour(0)
                    .utc_offset_minute(0),
            ),
    );
    write_pages(doc, &layout)
}

/// Draws the laid-out pages into `doc` and returns the PDF.
fn write_pages(mut doc: Document, layout: &Layout) -> Result<Vec<u8>, PdfError> {
    for ops in &layout.pages {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or(PdfError::Render)?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &layout.fonts, op);
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|_| PdfError::Render)
}

/// A plain document as PDF (A4, the certificate's fonts): `text` is read as light
/// Markdown, `# ` and `## ` lines as headings, `- ` lines as bullets, other lines as
/// paragraphs (`**` marks are dropped). For guideline PDFs made from a schema's Markdown.
pub fn render_text_pdf(title: &str, text: &str) -> Result<Vec<u8>, PdfError> {
    let mut layout = Layout::new();
    let big = Style {
        face: Face::Bold,
        size: 17.0,
        color: HEADING,
    };
    layout.text(MARGIN_X, layout.y + 17.0, big, title);
    layout.y += 30.0;
    for line in text.lines().map(|l| l.replace("**", "")) {
        let line = line.trim_end();
        if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            layout.subheading(h, 40.0);
        } else if let Some(item) = line.strip_prefix("- ") {
            layout.paragraph(item, PLAIN, 14.0, Some("•"));
        } else if !line.trim().is_empty() {
            layout.paragraph(line.trim(), PLAIN, 0.0, None);
        }
    }
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(title.to_string())
            .creator("Airlock".to_string())
            .language("en".to_string()),
    );
    write_pages(doc, &layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_inside_overlong_words() {
        let f = FontSet::load();
        let lines = f.wrap(
            Face::Regular,
            10.0,
            100.0,
            "one two three four five six seven",
        );
        assert!(lines.len() > 1);
        assert!(lines
            .iter()
            .all(|l| f.width(Face::Regular, 10.0, l) <= 100.0));
        assert_eq!(lines.join(" "), "one two three four five six seven");
        let hash = "ab".repeat(64);
        let lines = f.wrap(Face::Mono, 8.0, 120.0, &hash);
        assert!(lines.len() >= 4);
        assert_eq!(lines.concat(), hash, "nothing lost when a word is broken");
        assert_eq!(f.wrap(Face::Regular, 10.0, 100.0, "a\nb"), ["a", "b"]);
        let m = f.width(Face::Mono, 10.0, "0123456789");
        assert!(
            (m - 10.0 * 10.0 * 0.602).abs() < 0.5,
            "DejaVu Sans Mono advances 0.602 em: {m}"
        );
    }

    #[test]
    fn a_text_document_becomes_a_pdf_with_its_words() {
        let long = "Box every lesion on the slice where it is largest. ".repeat(400);
        let pdf =
            render_text_pdf("Guideline", &format!("# Lesions\n\n- Tight boxes\n{long}")).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let read = hayro::hayro_syntax::Pdf::new(pdf).expect("a PDF another reader opens");
        let pages = read.pages().len();
        assert!(pages >= 3, "a long text spans pages ({pages} pages)");
    }

    #[test]
    fn times_and_sizes_read_well() {
        assert_eq!(
            human_time(time::macros::datetime!(2026-11-20 10:05:09 UTC)),
            "2026-11-20 10:05:09 UTC"
        );
        assert_eq!(
            human_time(time::macros::datetime!(2026-11-20 10:05:09 -05:30)),
            "2026-11-20 10:05:09 UTC-05:30"
        );
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_234_567), "1.2 MB (1,234,567 bytes)");
    }
}
