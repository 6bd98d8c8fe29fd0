//! [`Policy`]: which [`Action`] applies to each Safe Harbor [`Category`].

use serde::Serialize;

use crate::category::Category;

/// What to do with one identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Replace with the category placeholder, e.g. `[NAME]`.
    Redact,
    /// Replace every letter and digit with `*`, keeping length, spaces and punctuation.
    Mask,
    /// Replace with a realistic, format-preserving value derived from the original with
    /// the project key: the same input always gives the same surrogate in a project.
    Surrogate,
    /// Dates only: move the date back by the patient's keyed offset (1 to 365 days),
    /// keeping its written form. Other categories fall back to [`Action::Surrogate`].
    DateShift,
    /// Keep only what Safe Harbor allows: the year of a date, `90+` for an age over 89,
    /// the first three digits of a ZIP code (`000` for sparsely populated areas). Other
    /// categories fall back to [`Action::Redact`].
    Generalize,
}

impl Action {
    /// The stable snake_case name used in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Redact => "redact",
            Action::Mask => "mask",
            Action::Surrogate => "surrogate",
            Action::DateShift => "date_shift",
            Action::Generalize => "generalize",
        }
    }
}

/// A mapping from every [`Category`] to an [`Action`]. Serialises as a JSON object
/// (`{"name":"redact","date":"generalize",...}`) for the header of a redaction log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    actions: [Action; Category::ALL.len()],
}

impl Serialize for Policy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Category::ALL.len()))?;
        for (c, a) in Category::ALL.iter().zip(&self.actions) {
            map.serialize_entry(c.as_str(), a)?;
        }
        map.end()
    }
}

impl Default for Policy {
    /// [`Policy::safe_harbor`].
    fn default() -> Self {
        Policy::safe_harbor()
    }
}

impl Policy {
    /// Strict Safe Harbor: every identifier is redacted; dates keep only their year, ages
    /// over 89 become `90+` and ZIP codes keep their first three digits (or `000`). Needs
    /// no key material to be meaningful.
    pub fn safe_harbor() -> Self {
        let mut p = Policy {
            actions: [Action::Redact; Category::ALL.len()],
        };
        p.set(Category::Date, Action::Generalize);
        p.set(Category::Age, Action::Generalize);
        p.set(Category::Zip, Action::Generalize);
        p
    }

    /// Readable pseudonymised text: consistent surrogates for names, places and
    /// numbers, dates shifted per patient (intervals preserved), ages over 89 and ZIP
    /// codes generalised as in [`Policy::safe_harbor`]. Shifted dates and keyed
    /// surrogates are not literally "removed" identifiers, so a project using this
    /// policy should rely on an expert determination (45 CFR 164.514(b)(1)) for the
    /// surrogate and date-shift parts; the project key must stay secret.
    pub fn pseudonymize() -> Self {
        let mut p = Policy {
            actions: [Action::Surrogate; Category::ALL.len()],
        };
        p.set(Category::Date, Action::DateShift);
        p.set(Category::Age, Action::Generalize);
        p.set(Category::Zip, Action::Generalize);
        p
    }

    /// Use `action` for `category`.
    pub fn set(&mut self, category: Category, action: Action) -> &mut Self {
        self.actions[index(category)] = action;
        self
    }

    /// The action for `category`.
    pub fn action(&self, category: Category) -> Action {
        self.actions[index(category)]
    }

    /// True when some action depends on the project key (surrogates, date shifts):
    /// without a persistent key such output is consistent within one run only.
    pub fn needs_key(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a, Action::Surrogate | Action::DateShift))
    }
}

fn index(category: Category) -> usize {
    Category::ALL
        .iter()
        .position(|c| *c == category)
        .expect("Category::ALL lists every category")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        let sh = Policy::safe_harbor();
        assert_eq!(sh.action(Category::Name), Action::Redact);
        assert_eq!(sh.action(Category::Date), Action::Generalize);
        assert!(!sh.needs_key(), "strict Safe Harbor needs no key");
        let ps = Policy::pseudonymize();
        assert_eq!(ps.action(Category::Date), Action::DateShift);
        assert_eq!(ps.action(Category::Mrn), Action::Surrogate);
        assert!(ps.needs_key());
        let json = serde_json::to_string(&sh).expect("a policy serialises");
        assert!(json.starts_with(r#"{"name":"redact","#) && json.contains(r#""zip":"generalize""#));
        let mut custom = Policy::default();
        custom.set(Category::Name, Action::Mask);
        assert_eq!(custom.action(Category::Name), Action::Mask);
    }
}
