//! The HIPAA Safe Harbor identifier categories (45 CFR 164.514(b)(2)) as they occur in
//! free text, shared by every de-identification module.

use serde::Serialize;

/// One Safe Harbor identifier category. Geographic units smaller than a state are split
/// into [`Category::Location`] (street, city, county, ...) and [`Category::Zip`] because
/// ZIP codes have their own generalisation rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// Names of patients, relatives, employers' staff, clinicians (A).
    Name,
    /// Street address, city, county, precinct or other unit smaller than a state (B).
    Location,
    /// ZIP code (B, with the three-digit rule).
    Zip,
    /// Any date element other than the year: day, month, weekday with a date, time
    /// attached to a date, holidays (C).
    Date,
    /// An age over 89 (C).
    Age,
    /// Telephone number (D).
    Phone,
    /// Fax number (E).
    Fax,
    /// E-mail address (F).
    Email,
    /// Social security number (G).
    Ssn,
    /// Medical record number (H).
    Mrn,
    /// Health plan beneficiary number (I).
    HealthPlan,
    /// Account number, including payment card numbers (J).
    Account,
    /// Certificate or licence number (K).
    License,
    /// Vehicle identifier or serial number, including licence plates and VINs (L).
    Vehicle,
    /// Device identifier or serial number (M).
    Device,
    /// Web URL (N).
    Url,
    /// IP address, version 4 or 6 (O).
    Ip,
    /// Biometric identifier written as text (P).
    Biometric,
    /// Any other unique identifying number, characteristic or code (R).
    OtherId,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: [Category; 19] = [
        Category::Name,
        Category::Location,
        Category::Zip,
        Category::Date,
        Category::Age,
        Category::Phone,
        Category::Fax,
        Category::Email,
        Category::Ssn,
        Category::Mrn,
        Category::HealthPlan,
        Category::Account,
        Category::License,
        Category::Vehicle,
        Category::Device,
        Category::Url,
        Category::Ip,
        Category::Biometric,
        Category::OtherId,
    ];

    /// The stable snake_case name used in logs and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Name => "name",
            Category::Location => "location",
            Category::Zip => "zip",
            Category::Date => "date",
            Category::Age => "age",
            Category::Phone => "phone",
            Category::Fax => "fax",
            Category::Email => "email",
            Category::Ssn => "ssn",
            Category::Mrn => "mrn",
            Category::HealthPlan => "health_plan",
            Category::Account => "account",
            Category::License => "license",
            Category::Vehicle => "vehicle",
            Category::Device => "device",
            Category::Url => "url",
            Category::Ip => "ip",
            Category::Biometric => "biometric",
            Category::OtherId => "other_id",
        }
    }

    /// The placeholder written by the redact action, e.g. `[NAME]`.
    pub fn placeholder(self) -> &'static str {
        match self {
            Category::Name => "[NAME]",
            Category::Location => "[LOCATION]",
            Category::Zip => "[ZIP]",
            Category::Date => "[DATE]",
            Category::Age => "[AGE]",
            Category::Phone => "[PHONE]",
            Category::Fax => "[FAX]",
            Category::Email => "[EMAIL]",
            Category::Ssn => "[SSN]",
            Category::Mrn => "[MRN]",
            Category::HealthPlan => "[HEALTH_PLAN]",
            Category::Account => "[ACCOUNT]",
            Category::License => "[LICENSE]",
            Category::Vehicle => "[VEHICLE]",
            Category::Device => "[DEVICE]",
            Category::Url => "[URL]",
            Category::Ip => "[IP]",
            Category::Biometric => "[BIOMETRIC]",
            Category::OtherId => "[ID]",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_placeholders_are_unique() {
        let mut names: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
        let mut tags: Vec<_> = Category::ALL.iter().map(|c| c.placeholder()).collect();
        names.sort_unstable();
        names.dedup();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(
            names.len(),
            Category::ALL.len(),
            "log names must be distinguishable"
        );
        assert_eq!(
            tags.len(),
            Category::ALL.len(),
            "placeholders must be distinguishable"
        );
    }
}
