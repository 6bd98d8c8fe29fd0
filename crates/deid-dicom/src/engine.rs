//! Applying Table E.1-1 to a data set, recursively through sequences.

use std::collections::{BTreeMap, BTreeSet};

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::header::Header as _;
use dicom_core::value::{PrimitiveValue, Value, C};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;

use crate::action::{ActionCode, Treatment};
use crate::dates;
use crate::key::ProjectKey;
use crate::policy::{Policy, ProfileOption};
use crate::report::{tag_text, ChangeLog, RuleSource};
use crate::table::{MASK_RULES, RULES};
use crate::TextCleaner;

const PATIENT_ID: u32 = 0x0010_0020;
const DUMMY_TEXT: &str = "ANONYMIZED";

/// State of one file's de-identification.
pub(crate) struct Engine<'a> {
    pub policy: &'a Policy,
    pub key: &'a ProjectKey,
    pub cleaner: Option<&'a dyn TextCleaner>,
    /// Days to shift dates back, when the modified-dates option is on.
    pub date_offset: Option<i64>,
    /// True for little-endian transfer syntaxes, where UN values can be re-read.
    pub little_endian: bool,
    pub log: ChangeLog,
}

/// The table row for a tag, if any.
pub(crate) fn rule_for(tag: u32) -> Option<&'static crate::table::Rule> {
    RULES
        .binary_search_by_key(&tag, |r| r.tag)
        .ok()
        .map(|i| &RULES[i])
}

/// The dictionary keyword of a standard tag (empty when unknown).
pub(crate) fn keyword(tag: Tag) -> &'static str {
    StandardDataDictionary
        .by_tag(tag)
        .map(|e| e.alias())
        .unwrap_or("")
}

fn tag_u32(tag: Tag) -> u32 {
    (u32::from(tag.group()) << 16) | u32::from(tag.element())
}

fn is_overlay_group(group: u16) -> bool {
    (0x6000..=0x601E).contains(&group) && group.is_multiple_of(2)
}

fn path_of(prefix: &str, tag: u32) -> String {
    format!("{prefix}{}", tag_text(tag))
}

impl Engine<'_> {
    /// De-identify one data set. `prefix` is the path of the enclosing sequences.
    pub(crate) fn dataset(&mut self, obj: InMemDicomObject, prefix: &str) -> InMemDicomObject {
        let elements: Vec<InMemElement> = obj.into_iter().collect();
        let creators: BTreeMap<(u16, u16), String> = elements
            .iter()
            .filter(|e| {
                let t = e.tag();
                t.group() % 2 == 1 && (0x0010..=0x00FF).contains(&t.element())
            })
            .filter_map(|e| {
                let t = e.tag();
                let name = e.to_str().ok()?.trim().to_owned();
                Some(((t.group(), t.element()), name))
            })
            .collect();
        let mut used_blocks = BTreeSet::new();
        let mut out = Vec::with_capacity(elements.len());
        let mut creator_elements = Vec::new();
        for e in elements {
            let e = self.retype(e);
            let t = e.tag();
            if t.group() % 2 == 1 && t.group() > 0x0008 && (0x0010..=0x00FF).contains(&t.element())
            {
                creator_elements.push(e);
                continue;
            }
            if t.group() % 2 == 1 {
                if let Some(kept) = self.private(e, prefix, &creators, &mut used_blocks) {
                    out.push(kept);
                }
                continue;
            }
            if let Some(kept) = self.element(e, prefix) {
                out.push(kept);
            }
        }
        for c in creator_elements {
            let t = c.tag();
            if used_blocks.contains(&(t.group(), t.element())) {
                out.push(c);
            } else {
                self.log.note(
                    path_of(prefix, tag_u32(t)),
                    tag_u32(t),
                    "PrivateCreator",
                    None,
                    Treatment::Removed,
                    RuleSource::PrivateCreator,
                );
            }
        }
        InMemDicomObject::from_element_iter(out)
    }

    /// A UN element of a standard tag, re-read with its dictionary VR (sequences encoded as
    /// UN would otherwise hide their UIDs and names from the profile).
    fn retype(&self, e: InMemElement) -> InMemElement {
        if e.vr() != VR::UN || !self.little_endian || e.tag().group() % 2 == 1 {
            return e;
        }
        let bytes = match e.value() {
            Value::Primitive(p) => p.to_bytes(),
            _ => return e,
        };
        match crate::read::retype_un(e.tag(), &bytes, &self.policy.limits) {
            Some(typed) => typed,
            None => e,
        }
    }

    fn private(
        &mut self,
        e: InMemElement,
        prefix: &str,
        creators: &BTreeMap<(u16, u16), String>,
        used: &mut BTreeSet<(u16, u16)>,
    ) -> Option<InMemElement> {
        let t = e.tag();
        let tag = tag_u32(t);
        let block = t.element() >> 8;
        let creator = if t.group() > 0x0008 && t.element() >= 0x1000 {
            creators.get(&(t.group(), block))
        } else {
            None
        };
        if self.policy.has(ProfileOption::RetainSafePrivate) {
            if let Some(name) = creator {
                let offset = (t.element() & 0xFF) as u8;
                let safe = self.policy.safe_private.iter().any(|s| {
                    s.group == t.group() && s.offset == offset && s.creator.trim() == name
                });
                if safe {
                    used.insert((t.group(), block));
                    return Some(e);
                }
            }
        }
        self.log.note(
            path_of(prefix, tag),
            tag,
            "",
            Some(ActionCode::X),
            Treatment::Removed,
            RuleSource::PrivateAttribute,
        );
        None
    }

    fn element(&mut self, e: InMemElement, prefix: &str) -> Option<InMemElement> {
        let t = e.tag();
        let tag = tag_u32(t);
        let path = || path_of(prefix, tag);
        if t.group() == 0xFFFE {
            // An item or delimiter tag read as an attribute (a stray delimiter in the
            // input): writing it back would corrupt the output.
            self.log.note(
                path(),
                tag,
                "",
                None,
                Treatment::Removed,
                RuleSource::Structural,
            );
            return None;
        }
        if t.group() == 0x0002 {
            self.log.note(
                path(),
                tag,
                keyword(t),
                None,
                Treatment::Removed,
                RuleSource::FileMeta,
            );
            return None;
        }
        if t.element() == 0x0000 {
            self.log.note(
                path(),
                tag,
                "",
                None,
                Treatment::Removed,
                RuleSource::GroupLength,
            );
            return None;
        }
        if let Some(m) = MASK_RULES.iter().find(|m| tag & m.mask == m.value) {
            let (code, rule) = self.effective(m.basic, m.options);
            return self.apply(e, code, rule, m.name, prefix);
        }
        if is_overlay_group(t.group()) {
            self.log.note(
                path(),
                tag,
                keyword(t),
                None,
                Treatment::Removed,
                RuleSource::OverlayPlane,
            );
            return None;
        }
        if let Some(r) = rule_for(tag) {
            let (code, rule) = self.effective(r.basic, r.options);
            return self.apply(e, code, rule, r.name, prefix);
        }
        self.keep(e, prefix, None, RuleSource::BasicProfile, keyword(t))
    }

    /// The code in force for a row: an option column that names the attribute wins over
    /// the Basic Profile, and among options C (clean) wins over K (keep).
    fn effective(
        &self,
        basic: ActionCode,
        options: &[(ProfileOption, ActionCode)],
    ) -> (ActionCode, RuleSource) {
        let mut best: Option<(ProfileOption, ActionCode)> = None;
        for &(opt, code) in options {
            if !self.policy.has(opt) {
                continue;
            }
            best = match best {
                Some((_, ActionCode::C)) => best,
                _ => Some((opt, code)),
            };
        }
        match best {
            Some((opt, code)) => (code, RuleSource::Option(opt)),
            None => (basic, RuleSource::BasicProfile),
        }
    }

    fn apply(
        &mut self,
        e: InMemElement,
        code: ActionCode,
        rule: RuleSource,
        name: &str,
        prefix: &str,
    ) -> Option<InMemElement> {
        let t = e.tag();
        let tag = tag_u32(t);
        let vr = e.vr();
        let note = |log: &mut ChangeLog, treatment| {
            log.note(path_of(prefix, tag), tag, name, Some(code), treatment, rule)
        };
        match code.resolve() {
            ActionCode::X => {
                note(&mut self.log, Treatment::Removed);
                None
            }
            ActionCode::Z => {
                note(&mut self.log, Treatment::Emptied);
                Some(empty(t, vr))
            }
            ActionCode::D => {
                if vr == VR::SQ || is_binary(vr) {
                    note(&mut self.log, Treatment::Emptied);
                    return Some(empty(t, vr));
                }
                if vr == VR::UI {
                    note(&mut self.log, Treatment::UidReplaced);
                    return Some(self.uids(e));
                }
                if tag == PATIENT_ID {
                    let id = e.to_str().map(|s| s.trim().to_owned()).unwrap_or_default();
                    if !id.is_empty() {
                        note(&mut self.log, Treatment::Pseudonym);
                        let p = self.key.patient_pseudonym(&id);
                        return Some(DataElement::new(t, vr, PrimitiveValue::from(p)));
                    }
                }
                note(&mut self.log, Treatment::Dummy);
                Some(dummy(t, vr))
            }
            ActionCode::U => {
                if vr == VR::SQ {
                    return self.keep(e, prefix, Some(code), rule, name);
                }
                if vr != VR::UI {
                    note(&mut self.log, Treatment::Emptied);
                    return Some(empty(t, vr));
                }
                if self.policy.has(ProfileOption::RetainUids) {
                    return Some(e);
                }
                note(&mut self.log, Treatment::UidReplaced);
                Some(self.uids(e))
            }
            ActionCode::C => self.clean(e, code, rule, name, prefix),
            _ => self.keep(e, prefix, Some(code), rule, name),
        }
    }

    /// Keep an attribute: sequences are de-identified item by item, ages over 89 are
    /// aggregated.
    fn keep(
        &mut self,
        e: InMemElement,
        prefix: &str,
        code: Option<ActionCode>,
        rule: RuleSource,
        name: &str,
    ) -> Option<InMemElement> {
        let t = e.tag();
        let tag = tag_u32(t);
        let vr = e.vr();
        if vr == VR::AS {
            if let Some(aged) = aggregate_age(&e) {
                self.log.note(
                    path_of(prefix, tag),
                    tag,
                    name,
                    code,
                    Treatment::AgeAggregated,
                    rule,
                );
                return Some(DataElement::new(t, vr, PrimitiveValue::from(aged)));
            }
        }
        if !matches!(e.value(), Value::Sequence(_)) {
            return Some(e);
        }
        let (header, value) = e.into_parts();
        let items = value.into_items().unwrap_or_default();
        let inner = format!("{}[*].", path_of(prefix, tag));
        let cleaned: C<InMemDicomObject> = items
            .into_iter()
            .map(|item| self.dataset(item, &inner))
            .collect();
        Some(DataElement::new(
            header.tag,
            VR::SQ,
            Value::new_sequence(cleaned, Length::UNDEFINED),
        ))
    }

    fn clean(
        &mut self,
        e: InMemElement,
        code: ActionCode,
        rule: RuleSource,
        name: &str,
        prefix: &str,
    ) -> Option<InMemElement> {
        let t = e.tag();
        let tag = tag_u32(t);
        let vr = e.vr();
        let note = |log: &mut ChangeLog, treatment| {
            log.note(path_of(prefix, tag), tag, name, Some(code), treatment, rule)
        };
        match vr {
            VR::SQ | VR::AS => self.keep(e, prefix, Some(code), rule, name),
            VR::DA | VR::DT => {
                let Some(days) = self.date_offset else {
                    return Some(e);
                };
                let values = strings(&e);
                let shifted: Option<Vec<String>> = values
                    .iter()
                    .map(|v| {
                        if v.trim().is_empty() {
                            Some(String::new())
                        } else {
                            dates::shift(v, days)
                        }
                    })
                    .collect();
                match shifted {
                    Some(s) => {
                        note(&mut self.log, Treatment::DateShifted);
                        Some(DataElement::new(t, vr, strs(s)))
                    }
                    None => {
                        note(&mut self.log, Treatment::Emptied);
                        Some(empty(t, vr))
                    }
                }
            }
            VR::AE
            | VR::CS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::ST
            | VR::UC
            | VR::UT
            | VR::UR => {
                let Some(cleaner) = self.cleaner else {
                    // Unreachable through the public API (a cleaner is required for the
                    // options with C on text); be safe and remove.
                    note(&mut self.log, Treatment::Removed);
                    return None;
                };
                let values = strings(&e);
                let cleaned: Vec<String> = values.iter().map(|v| cleaner.clean(v)).collect();
                if cleaned == values {
                    return Some(e);
                }
                note(&mut self.log, Treatment::TextCleaned);
                Some(DataElement::new(t, vr, strs(cleaned)))
            }
            _ => Some(e),
        }
    }

    /// Replace every UID of a UI element with its keyed UID.
    fn uids(&self, e: InMemElement) -> InMemElement {
        let t = e.tag();
        let mapped: Vec<String> = strings(&e)
            .iter()
            .map(|u| {
                let u = u.trim_end_matches(['\0', ' ']).trim();
                if u.is_empty() {
                    String::new()
                } else {
                    self.key.uid_for(u)
                }
            })
            .collect();
        if mapped.iter().all(String::is_empty) {
            return empty(t, VR::UI);
        }
        DataElement::new(t, VR::UI, strs(mapped))
    }
}

fn strings(e: &InMemElement) -> Vec<String> {
    e.to_multi_str().map(|v| v.to_vec()).unwrap_or_default()
}

fn strs(values: Vec<String>) -> PrimitiveValue {
    if values.len() == 1 {
        PrimitiveValue::from(values.into_iter().next().unwrap_or_default())
    } else {
        PrimitiveValue::Strs(C::from_vec(values))
    }
}

fn is_binary(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB | VR::OD | VR::OF | VR::OL | VR::OV | VR::OW | VR::UN
    )
}

/// An empty value of the element's VR (a sequence with no items for SQ).
fn empty(tag: Tag, vr: VR) -> InMemElement {
    if vr == VR::SQ {
        DataElement::new(tag, vr, Value::new_sequence(C::new(), Length::UNDEFINED))
    } else {
        DataElement::new(tag, vr, PrimitiveValue::Empty)
    }
}

/// A fixed dummy value consistent with the VR.
fn dummy(tag: Tag, vr: VR) -> InMemElement {
    let value = match vr {
        VR::DA => PrimitiveValue::from("19000101"),
        VR::DT => PrimitiveValue::from("19000101000000"),
        VR::TM => PrimitiveValue::from("000000"),
        VR::AS => PrimitiveValue::from("000D"),
        VR::IS | VR::DS => PrimitiveValue::from("0"),
        VR::US => PrimitiveValue::U16(C::from_elem(0, 1)),
        VR::SS => PrimitiveValue::I16(C::from_elem(0, 1)),
        VR::UL => PrimitiveValue::U32(C::from_elem(0, 1)),
        VR::SL => PrimitiveValue::I32(C::from_elem(0, 1)),
        VR::UV => PrimitiveValue::U64(C::from_elem(0, 1)),
        VR::SV => PrimitiveValue::I64(C::from_elem(0, 1)),
        VR::FL => PrimitiveValue::F32(C::from_elem(0.0, 1)),
        VR::FD => PrimitiveValue::F64(C::from_elem(0.0, 1)),
        VR::AT => PrimitiveValue::Tags(C::from_elem(Tag(0, 0), 1)),
        _ => PrimitiveValue::from(DUMMY_TEXT),
    };
    DataElement::new(tag, vr, value)
}

/// `090Y` for an age string of 90 years or more (HIPAA Safe Harbor aggregates ages over
/// 89); `None` when the age may stay.
fn aggregate_age(e: &InMemElement) -> Option<String> {
    let s = e.to_str().ok()?;
    let s = s.trim();
    let years = s.strip_suffix('Y')?.parse::<u32>().ok()?;
    (years > 89).then(|| "090Y".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_knows_the_usual_suspects() {
        assert!(
            RULES.windows(2).all(|w| w[0].tag < w[1].tag),
            "binary search needs order"
        );
        let name = rule_for(0x0010_0010).expect("Patient's Name is in the table");
        assert_eq!(name.basic, ActionCode::Z);
        assert_eq!(rule_for(0x0008_0018).map(|r| r.basic), Some(ActionCode::U));
        assert_eq!(rule_for(0x0008_0020).map(|r| r.basic), Some(ActionCode::Z));
        assert!(rule_for(0x0028_0010).is_none(), "Rows is not PHI");
    }

    #[test]
    fn combined_codes_resolve_to_the_conformant_choice() {
        assert_eq!(ActionCode::ZD.resolve(), ActionCode::D);
        assert_eq!(ActionCode::XZ.resolve(), ActionCode::Z);
        assert_eq!(ActionCode::XD.resolve(), ActionCode::D);
        assert_eq!(ActionCode::XZD.resolve(), ActionCode::D);
        assert_eq!(ActionCode::XZUStar.resolve(), ActionCode::U);
        assert_eq!(ActionCode::K.resolve(), ActionCode::K);
    }

    #[test]
    fn ages_over_89_aggregate() {
        let e = |s: &str| DataElement::new(Tag(0x0010, 0x1010), VR::AS, PrimitiveValue::from(s));
        assert_eq!(aggregate_age(&e("092Y")).as_deref(), Some("090Y"));
        assert_eq!(aggregate_age(&e("089Y")), None);
        assert_eq!(aggregate_age(&e("100M")), None);
    }
}
