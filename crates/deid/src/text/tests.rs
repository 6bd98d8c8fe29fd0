//! Detection and transformation tests per category, with tricky cases, and property
//! tests for consistency, interval preservation and hostile input. All data synthetic.

use proptest::prelude::*;

use super::*;

fn key(b: u8) -> ProjectKey {
    ProjectKey::from_bytes([b; 32])
}

/// The matched substrings of one category.
fn found(text: &str, category: Category) -> Vec<&str> {
    Detector::new()
        .detect(text)
        .into_iter()
        .filter(|f| f.category == category)
        .map(|f| &text[f.start..f.end])
        .collect()
}

/// Every matched substring, whatever its category.
fn spans(text: &str) -> Vec<&str> {
    Detector::new()
        .detect(text)
        .into_iter()
        .map(|f| &text[f.start..f.end])
        .collect()
}

fn safe_harbor(text: &str) -> String {
    Deidentifier::new(Policy::safe_harbor(), key(1))
        .deidentify(text, &DocumentContext::default())
        .text
        .into_inner()
}

#[test]
fn names_with_titles_initials_possessives_and_headers() {
    assert_eq!(
        found("Seen by Dr. Gilbert Perez today.", Category::Name),
        ["Gilbert", "Perez"]
    );
    assert_eq!(
        found("PATIENT: DOE, JOHN\nDOB: unknown", Category::Name),
        ["DOE", "JOHN"]
    );
    assert_eq!(
        found("Mrs. Villegas's daughter called.", Category::Name),
        ["Villegas"]
    );
    assert_eq!(
        found("Follow up with J. Ostrowski next week.", Category::Name),
        ["J", "Ostrowski"]
    );
    assert_eq!(
        found("Electronically signed by: Rose Hall, MD on", Category::Name),
        ["Rose", "Hall"],
        "a signature line makes even common words names"
    );
    assert_eq!(
        found("Villegas, Yosef was admitted.", Category::Name),
        ["Villegas", "Yosef"]
    );
    assert_eq!(found("Attending: YBARRA", Category::Name), ["YBARRA"]);
    assert_eq!(
        found("Frits van den Heuvel called.", Category::Name),
        ["Frits", "van", "den", "Heuvel"]
    );
    assert_eq!(
        found(
            "Mr. Ostrowski was seen. Later Ostrowski walked.",
            Category::Name
        ),
        ["Ostrowski", "Ostrowski"],
        "a name found once is found everywhere in the document"
    );
}

#[test]
fn common_words_that_are_names_need_context() {
    let text = "May need echo. Will follow up. Hope to wean O2. Brown sputum, white count \
                normal. Patient will page the team. Mark the site. Rose from bed, then Hall.";
    assert!(
        found(text, Category::Name).is_empty(),
        "{:?}",
        found(text, Category::Name)
    );
    assert_eq!(
        found("Discussed with Dr. Hope and Mr. Brown.", Category::Name),
        ["Hope", "Brown"]
    );
}

#[test]
fn drug_names_and_exam_findings_are_not_names_or_places() {
    let text = "MEDICATIONS:  Zestril, Zocor, hydrochlorothiazide\nEnalapril Maleate 10 MG\n\
                NECK: Supple. Abdomen: Soft, ND, NT. Sternal pain. Inverted Ts. Sx are new. \
                Right Carotid Artery Dz. No difficulty with ADLs.";
    assert!(spans(text).is_empty(), "false positives: {:?}", spans(text));
}

#[test]
fn clinical_sentences_stay_clear_of_the_place_and_name_rules() {
    let text = "She was started on Coumadin and switched to Eliquis. Given Ativan 1 mg IV. \
                EKG with inverted T waves in II, III, aVF. He had a Pap smear. Foley catheter \
                placed. Gram stain negative. Pt from Rehab with fever. Seen in Cardiology \
                Clinic. Father: MI at 60. Continue ASA and Plavix. Addison crisis unlikely. \
                Will follow up with Nephrology in 2 weeks.";
    assert!(spans(text).is_empty(), "false positives: {:?}", spans(text));
}

#[test]
fn clinical_text_without_identifiers_stays_untouched() {
    let text = "Patient denies chest pain. BP 120/80, HR 72, T 98.1. Strength 5/5 in all \
                extremities. Plan: continue aspirin 81 mg daily, metformin 850 mg BID. \
                Hgb A1c 7.2%. Follow up in 2 weeks. CODE: FULL. Seen in 2019.";
    assert!(spans(text).is_empty(), "false positives: {:?}", spans(text));
}

#[test]
fn locations_and_zip_codes() {
    let t = "Home address 4417 Old Kettle Rd, Fresno, CA 93726.";
    assert_eq!(
        found(t, Category::Location),
        ["4417 Old Kettle Rd", "Fresno"]
    );
    assert_eq!(found(t, Category::Zip), ["93726"]);
    assert_eq!(found("Pinellas | FL | 34624", Category::Zip), ["34624"]);
    assert_eq!(
        found("Mail to P.O. Box 1182.", Category::Location),
        ["P.O. Box 1182"]
    );
    assert_eq!(
        found("Lives in Suffolk County with her son.", Category::Location),
        ["Suffolk County"]
    );
    assert_eq!(
        found("She moved from Boston last year.", Category::Location),
        ["Boston"]
    );
    assert_eq!(
        found("Apt 4B, 12 Elm Street", Category::Location),
        ["Apt 4B", "12 Elm Street"]
    );
    assert!(found("She hopes to be mobile.", Category::Location).is_empty());
    assert!(
        found("Smith, MD reviewed.", Category::Location).is_empty(),
        "MD is a credential here"
    );
}

#[test]
fn unknown_towns_by_their_place() {
    // Issue 4 reports from synthetic notes: a town no dictionary knows, after a street
    // address, after "from"/"lives in", and the ZIP code after it.
    let t = "She is 93 years old and lives at 414 Quillon Street, Harrowgate 30915.";
    assert_eq!(
        found(t, Category::Location),
        ["414 Quillon Street", "Harrowgate"]
    );
    assert_eq!(found(t, Category::Zip), ["30915"]);
    assert_eq!(
        found("a 67-year-old woman from Harrowgate", Category::Location),
        ["Harrowgate"]
    );
    assert_eq!(
        found("The patient lives in Harrowgate.", Category::Location),
        ["Harrowgate"]
    );
    assert_eq!(
        found(
            "12 Birch Lane\nSuite 4\nMidlands\nUnited States",
            Category::Location
        ),
        ["12 Birch Lane", "Suite 4", "Midlands"]
    );
    assert_eq!(
        found("Tillbury\nUnited States", Category::Location),
        ["Tillbury"],
        "a line of its own above the country"
    );
    assert_eq!(
        found(
            "86 Old Dear Lane, Unionville (Orange) NY",
            Category::Location
        ),
        ["86 Old Dear Lane", "Unionville", "Orange"]
    );
    assert_eq!(
        found(
            "Follow-up with Dr. Pellworth at Brindlemoor Clinic",
            Category::Location
        ),
        ["Brindlemoor"],
        "the place name inside a facility name"
    );
    assert!(
        found("Seen in the Heart Clinic.", Category::Location).is_empty(),
        "ordinary words before a facility word stay"
    );
    assert_eq!(
        found("Looking for work in El Monte 91731 soon", Category::Zip),
        ["91731"]
    );
    assert_eq!(found("Warwick, RI 2887", Category::Zip), ["2887"]);
    assert_eq!(found("ZIP: 2169", Category::Zip), ["2169"]);
    assert!(
        found("CT 2019 showed no change.", Category::Zip).is_empty(),
        "each state only with its own ZIP ranges: a scan and a year stay"
    );
    assert_eq!(safe_harbor("Warwick, RI 2887"), "[LOCATION], RI 02800");
}

#[test]
fn towns_need_their_place_not_just_capitals() {
    for t in [
        "123 Main St. Patient reports chest pain.",
        "12 Elm Street\nMedications: aspirin",
        "switched from Coumadin to Eliquis in clinic.",
        "APO AE 43992\nMobile: 830-725-5360",
    ] {
        assert!(
            found(t, Category::Location).iter().all(|l| l
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
                || l.starts_with("APO")),
            "{t}: {:?}",
            found(t, Category::Location)
        );
    }
}

#[test]
fn intersections_keep_their_connectors() {
    assert_eq!(
        found(
            "Meet me at the corner of 1177 Briarhill Lane and Kerver Manors",
            Category::Location
        ),
        ["the corner of 1177 Briarhill Lane and Kerver Manors"]
    );
    assert_eq!(
        found(
            "Our office is at Douglas and 3658 Sunburst Drive",
            Category::Location
        ),
        ["Douglas and 3658 Sunburst Drive"]
    );
    assert_eq!(
        found("shows on Ksenia Ramp Street were", Category::Location),
        ["Ksenia Ramp Street"],
        "a street name without a house number"
    );
    assert_eq!(
        found(
            "at 4748 Westfall Avenue Ólafsdóttir Drive today",
            Category::Location
        ),
        ["4748 Westfall Avenue Ólafsdóttir Drive"],
        "non-ASCII street names"
    );
}

#[test]
fn intersection_surrogates_keep_their_shape() {
    let d = Deidentifier::new(Policy::pseudonymize(), key(16));
    let text = "Meet me at the corner of 1177 Briarhill Lane and Kerver Manors";
    let out = d.deidentify(text, &DocumentContext::default());
    let o = out.text.expose();
    assert!(
        o.starts_with("Meet me at the corner of ")
            && o.contains(" Lane and ")
            && o.ends_with(" Manors"),
        "{o}"
    );
    assert!(
        !o.contains("Briarhill") && !o.contains("Kerver") && !o.contains("1177"),
        "{o}"
    );
}

#[test]
fn names_by_sentence_position_and_dialogue() {
    assert_eq!(found("Why is Dean so impulsive?", Category::Name), ["Dean"]);
    assert_eq!(
        found("Don't go to town, Jasmine!", Category::Name),
        ["Jasmine"]
    );
    assert_eq!(
        found("Luiza: What a wife.\nTimo: Remember me?", Category::Name),
        ["Luiza", "Timo"]
    );
    assert_eq!(
        found("Sometimes people call me Tsuneto", Category::Name),
        ["Tsuneto"]
    );
    assert_eq!(
        found("including Daniel Young Jr. of Acme", Category::Name),
        ["Daniel", "Young", "Jr"]
    );
    assert_eq!(
        found(
            "Viktor F Pap will talk. She had a Pap smear.",
            Category::Name
        ),
        ["Viktor", "F", "Pap"],
        "a clinical term that is a surname counts only inside a name"
    );
    assert!(found(
        "Plan: continue lisinopril. Addison disease ruled out.",
        Category::Name
    )
    .is_empty());
}

#[test]
fn dictation_sign_offs() {
    let t = "Gilbert P. Perez, M.D.\n\nGPP/church/olinger\n";
    assert!(found(t, Category::Name).contains(&"church/olinger"));
    assert_eq!(
        found(
            "FILBERT BRIGHT, M.D.    FB59   D:07/20/83",
            Category::OtherId
        ),
        ["FB59"]
    );
    assert_eq!(
        found(
            "Is there a better song? Gyarmaty and Mcdonald were engineers.",
            Category::Name
        ),
        ["Gyarmaty", "Mcdonald"]
    );
    assert!(found("Plan: CBC and Chem 7 tomorrow.", Category::Name).is_empty());
}

#[test]
fn issue_4_name_false_positives() {
    assert_eq!(
        found(
            "Patient: Wilhelmina Starkadder DOB 12/30/1988",
            Category::Name
        ),
        ["Wilhelmina", "Starkadder"],
        "an acronym after a name is no part of it"
    );
    assert!(found("Chest X-ray showed no infiltrate.", Category::Name).is_empty());
    assert!(found("Hi Hetem, I'm writing. I've called.", Category::Name) == ["Hetem"]);
    assert!(
        found(
            "WHAT ??? I DON'T KNOW WHAT TO PRESS NEXT!!!",
            Category::Name
        )
        .is_empty(),
        "shouted capitals are no name"
    );
    assert!(found("My IBAN is on file; leads II, III and aVF.", Category::Name).is_empty());
    assert!(found("Lives in the United States.", Category::Name).is_empty());
}

#[test]
fn birth_years_that_show_an_age_over_89_go() {
    assert_eq!(
        safe_harbor("DOB: 03/04/1931. Seen 05/06/2024."),
        "DOB: [DATE]. Seen [DATE 2024].",
        "born 1931: over 89 in 2025, the year goes too"
    );
    assert_eq!(safe_harbor("DOB: 03/04/1961."), "DOB: [DATE 1961].");
    assert_eq!(
        safe_harbor("DOB 12/30/1940, admitted 01/02/2031."),
        "DOB [DATE], admitted [DATE 2031].",
        "a later date in the note moves the reference year"
    );
    let d = Deidentifier::new(Policy::pseudonymize(), key(15));
    let out = d.deidentify("Born on 7/4/1920.", &DocumentContext::default());
    assert!(!out.text.expose().contains("19"), "{}", out.text.expose());
}

#[test]
fn zip_generalisation_and_restricted_prefixes() {
    assert_eq!(safe_harbor("zip 93726"), "zip 93700");
    assert_eq!(safe_harbor("ZIP code: 02139-1234"), "ZIP code: 02100");
    assert_eq!(
        safe_harbor("zip 03601"),
        "zip 00000",
        "036 is a restricted prefix"
    );
    assert_eq!(
        safe_harbor("Zip: 89301"),
        "Zip: 00000",
        "893 is a restricted prefix"
    );
}

#[test]
fn dates_in_every_common_form() {
    for d in [
        "03/14/2021",
        "3/14/21",
        "2021-03-14",
        "March 14, 2021",
        "14 Mar 2021",
        "Mar 14th",
        "14th of March",
        "March 2021",
        "Sunday, March 14, 2021",
        "03/14/2021 14:32",
        "14-MAR-2021",
        "2021-03-14T14:32:00Z",
        "Christmas Eve",
        "the third of July",
    ] {
        let text = format!("Seen on {d} in clinic.");
        assert_eq!(found(&text, Category::Date), [d], "date form {d}");
    }
    assert_eq!(
        found("seen at PCP on 2/03 with EKG", Category::Date),
        ["2/03"]
    );
    assert_eq!(
        found("not seen since November.", Category::Date),
        ["November"]
    );
    assert!(
        found("Seen in 2019 and 2020.", Category::Date).is_empty(),
        "years alone stay"
    );
    assert!(found("Strength 5/5, take 1/2 tab.", Category::Date).is_empty());
    assert!(found("She may walk in March?", Category::Date).len() == 1);
    assert!(found("you may go", Category::Date).is_empty());
}

#[test]
fn date_generalisation_keeps_the_year() {
    assert_eq!(safe_harbor("Admitted 03/14/2021."), "Admitted [DATE 2021].");
    assert_eq!(safe_harbor("Admitted Mar 14th."), "Admitted [DATE].");
}

#[test]
fn ages_over_89_only() {
    assert_eq!(safe_harbor("A 92-year-old woman"), "A 90+-year-old woman");
    assert_eq!(safe_harbor("aged 95, lives alone"), "aged 90+, lives alone");
    assert_eq!(safe_harbor("101 yo M"), "90+ yo M");
    assert_eq!(safe_harbor("a 95 y/o"), "a 90+ y/o");
    assert!(found("A 89-year-old man, 45 yo wife, age 70", Category::Age).is_empty());
}

#[test]
fn phones_and_faxes() {
    assert_eq!(
        found("Call (617) 555-0142.", Category::Phone),
        ["(617) 555-0142"]
    );
    assert_eq!(
        found("cell 617.555.0142", Category::Phone),
        ["617.555.0142"]
    );
    assert_eq!(
        found("Reach +1 617 555 0142 x204", Category::Phone),
        ["+1 617 555 0142 x204"]
    );
    assert_eq!(found("MD, EHMS pager 84710", Category::Phone), ["84710"]);
    assert_eq!(found("Fax: 617-555-0199", Category::Fax), ["617-555-0199"]);
    assert_eq!(
        found("07700 612 275 mobile", Category::Phone),
        ["07700 612 275"]
    );
    assert!(found("took 2 tablets at home", Category::Phone).is_empty());
    assert!(found("Fax: 617-555-0199", Category::Phone).is_empty());
}

#[test]
fn electronic_identifiers() {
    assert_eq!(
        found("Mail m.ferndale@zephyrmail.example now", Category::Email),
        ["m.ferndale@zephyrmail.example"]
    );
    assert_eq!(
        found(
            "See https://portal.glucosense.example/u/marisol.",
            Category::Url
        ),
        ["https://portal.glucosense.example/u/marisol"]
    );
    assert_eq!(
        found("or www.clinic.org/forms", Category::Url),
        ["www.clinic.org/forms"]
    );
    assert_eq!(found("from 10.34.201.7 and", Category::Ip), ["10.34.201.7"]);
    assert_eq!(
        found("host 2001:db8::8a2e:370:7334 seen", Category::Ip),
        ["2001:db8::8a2e:370:7334"]
    );
    assert!(
        found("at 14:32:10 today", Category::Ip).is_empty(),
        "times are not IPv6"
    );
}

#[test]
fn record_and_account_numbers() {
    assert_eq!(found("SSN 402-19-8877", Category::Ssn), ["402-19-8877"]);
    assert_eq!(
        found("social security number: 402198877", Category::Ssn),
        ["402198877"]
    );
    assert_eq!(found("MRN: 8249813", Category::Mrn), ["8249813"]);
    assert_eq!(
        found("filed under mrn 2280 pending", Category::Mrn),
        ["2280"]
    );
    assert_eq!(
        found("Medicaid ID: XJ482-118", Category::HealthPlan),
        ["XJ482-118"]
    );
    assert_eq!(found("Acct #: 99812-33", Category::Account), ["99812-33"]);
    assert_eq!(
        found("card 4111 1111 1111 1111 on file", Category::Account),
        ["4111 1111 1111 1111"]
    );
    assert_eq!(found("DEA AB1234563", Category::License), ["AB1234563"]);
    assert_eq!(
        found("license no. C1234567", Category::License),
        ["C1234567"]
    );
}

#[test]
fn vehicle_device_biometric_and_other_ids() {
    assert_eq!(
        found("VIN 1HGCM82633A004352", Category::Vehicle),
        ["1HGCM82633A004352"]
    );
    assert_eq!(
        found("license plate 7ABC123", Category::Vehicle),
        ["7ABC123"]
    );
    assert_eq!(
        found("Device serial SN-CG5-881207X.", Category::Device),
        ["SN-CG5-881207X"]
    );
    assert_eq!(
        found("MAC 00:1A:2B:3C:4D:5E", Category::Device),
        ["00:1A:2B:3C:4D:5E"]
    );
    assert_eq!(
        found("fingerprint ID FP-88213", Category::Biometric),
        ["FP-88213"]
    );
    assert_eq!(found("Ref: 4481-22-X", Category::OtherId), ["4481-22-X"]);
    assert_eq!(
        found("code 123456789 on the form", Category::OtherId),
        ["123456789"]
    );
    assert!(spans("HbA1c 7.2, CD4 350, B12 low, COVID-19 negative").is_empty());
}

#[test]
fn log_offsets_map_original_to_output_and_hold_no_text() {
    let text = "Pt Yosef Villegas, MRN 8249813, seen 2/17/2080 by Dr. Perez.";
    let d = Deidentifier::new(Policy::pseudonymize(), key(9));
    let out = d.deidentify(text, &DocumentContext::default());
    let o = out.text.expose();
    assert_eq!(
        out.patient,
        PatientSource::Mrn,
        "the MRN chose the date shift"
    );
    let mut last = 0;
    for e in &out.log {
        assert!(
            e.start >= last && e.end > e.start,
            "entries are ordered and disjoint"
        );
        last = e.end;
        assert!(o.is_char_boundary(e.out_start) && o.is_char_boundary(e.out_end));
        assert_ne!(
            &o[e.out_start..e.out_end],
            &text[e.start..e.end],
            "every span changed"
        );
    }
    let jsonl: String = out
        .log
        .iter()
        .map(|e| serde_json::to_string(e).expect("entries serialise"))
        .collect::<Vec<_>>()
        .join("\n");
    for secret in ["Yosef", "Villegas", "8249813", "2/17/2080", "Perez"] {
        assert!(!jsonl.contains(secret), "the log must not contain {secret}");
        assert!(!o.contains(secret), "the output must not contain {secret}");
    }
    assert!(jsonl.contains(r#""category":"mrn""#) && jsonl.contains(r#""action":"surrogate""#));
}

#[test]
fn mask_keeps_length_and_punctuation() {
    let mut p = Policy::safe_harbor();
    p.set(Category::Phone, Action::Mask);
    let d = Deidentifier::new(p, key(2));
    let out = d.deidentify("Call 617-555-0142.", &DocumentContext::default());
    assert_eq!(out.text.expose(), "Call ***-***-****.");
}

#[test]
fn manual_spans_are_checked() {
    let d = Deidentifier::new(Policy::safe_harbor(), key(3));
    let ctx = DocumentContext::default();
    let f = |start, end| Finding {
        start,
        end,
        category: Category::Name,
        rule: "manual",
        confidence: 1.0,
    };
    let out = d
        .apply("Ask Zoë now", &[f(4, 8)], &ctx)
        .expect("valid span");
    assert_eq!(out.text.expose(), "Ask [NAME] now");
    assert_eq!(
        d.apply("Ask Zoë now", &[f(4, 7)], &ctx).err(),
        Some(SpanError::NotCharBoundary { index: 0 })
    );
    assert_eq!(
        d.apply("abc", &[f(1, 9)], &ctx).err(),
        Some(SpanError::OutOfBounds { index: 0 })
    );
    assert_eq!(
        d.apply("abcdef", &[f(3, 5), f(0, 4)], &ctx).err(),
        Some(SpanError::Overlap { index: 0 })
    );
}

#[test]
fn bad_documents_get_errors_not_panics() {
    let d = Deidentifier::new(Policy::safe_harbor(), key(4));
    let ctx = DocumentContext::default();
    assert_eq!(d.deidentify_bytes(b"", &ctx).err(), Some(InputError::Empty));
    assert!(matches!(
        d.deidentify_bytes(b"\x89PNG\r\n\x1a\n\0\0", &ctx),
        Err(InputError::Binary { .. })
    ));
    assert!(matches!(
        d.deidentify_bytes(b"caf\xe9", &ctx),
        Err(InputError::NotUtf8 { offset: 3, line: 1 })
    ));
}

#[test]
fn same_patient_same_shift_across_documents() {
    let d = Deidentifier::new(Policy::pseudonymize(), key(5));
    let ctx = DocumentContext::for_patient("MRN-1");
    let a = d.deidentify("Admitted 03/01/2021.", &ctx).text.into_inner();
    let b = d
        .deidentify("Discharged 03/11/2021.", &ctx)
        .text
        .into_inner();
    let da = dates::to_date(&a["Admitted ".len()..a.len() - 1]).expect("shifted date parses");
    let db = dates::to_date(&b["Discharged ".len()..b.len() - 1]).expect("shifted date parses");
    assert_eq!(
        (db - da).whole_days(),
        10,
        "the interval between the two notes is kept"
    );
}

fn shifted(d: &Deidentifier, patient: &str, date: &str) -> String {
    d.deidentify(
        &format!("on {date}."),
        &DocumentContext::for_patient(patient),
    )
    .text
    .into_inner()
    .trim_start_matches("on ")
    .trim_end_matches('.')
    .to_owned()
}

#[test]
fn long_lines_and_huge_tokens_stay_linear() {
    let line = "Dr. Ostrowski saw Mr. Villegas on 03/14/2021 at 4417 Old Kettle Rd; ".repeat(3000);
    let token = "Q".to_owned() + &"x".repeat(200_000);
    let t = std::time::Instant::now();
    assert!(
        Detector::new().detect(&line).len() >= 12_000,
        "every repetition is found"
    );
    assert!(
        Detector::new().detect(&token).is_empty(),
        "a 200 kB word is no name"
    );
    assert!(
        t.elapsed().as_secs() < 60,
        "no quadratic look-back on a 200 kB line"
    );
}

#[test]
fn detection_time_grows_linearly() {
    // Regression: a context check once lower-cased the whole rest of the document for
    // every "m/d" match, which made long documents quadratic.
    let unit = "Seen on 3/14 by Dr. Ostrowski, ID 4481-22-X, 5/5 strength, lives in Boston.\n";
    let time = |n: usize| {
        let text = unit.repeat(n);
        (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                std::hint::black_box(Detector::new().detect(&text));
                t.elapsed()
            })
            .min()
            .expect("three runs")
    };
    Detector::new().warm_up();
    let small = time(1000);
    let large = time(8000);
    assert!(
        large < small * 24,
        "8x the text took {large:?} against {small:?}: not linear"
    );
}

#[test]
fn deidentifier_can_be_shared_across_threads() {
    fn is<T: Send + Sync>() {}
    is::<Deidentifier>();
    is::<Detector>();
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let d = Deidentifier::new(Policy::pseudonymize(), key(6));
        if let Ok(out) = d.deidentify_bytes(&bytes, &DocumentContext::default()) {
            let o = out.text.expose();
            for e in &out.log {
                prop_assert!(e.out_end <= o.len() && o.is_char_boundary(e.out_start) && o.is_char_boundary(e.out_end));
            }
        }
    }

    #[test]
    fn arbitrary_text_gives_sorted_disjoint_char_aligned_findings(text in "\\PC{0,400}") {
        let findings = Detector::new().detect(&text);
        let mut last = 0;
        for f in &findings {
            prop_assert!(f.start >= last && f.end > f.start && f.end <= text.len());
            prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            last = f.end;
        }
        let d = Deidentifier::new(Policy::safe_harbor(), key(7));
        let _ = d.deidentify(&text, &DocumentContext::default());
    }

    #[test]
    fn clinical_shaped_text_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("Dr. ".to_owned()), Just("MRN: ".to_owned()), Just(", ".to_owned()),
                Just("\n".to_owned()), Just("/".to_owned()), Just("-".to_owned()),
                "[0-9]{1,10}", "[A-Z][a-z]{1,8}", "[A-Z]{2,6}", "(January|May|Mon|Sept) ",
                Just("@".to_owned()), Just("://".to_owned()), Just("'s ".to_owned()),
            ],
            0..60,
        )
    ) {
        let text: String = parts.concat();
        let d = Deidentifier::new(Policy::pseudonymize(), key(8));
        let out = d.deidentify(&text, &DocumentContext::default());
        prop_assert_eq!(out.log.len(), d.detect(&text).len());
    }

    #[test]
    fn surrogates_are_consistent_within_a_project_and_differ_across(
        digits in "[2-9][0-9]{2}-[2-9][0-9]{2}-[0-9]{4}",
        names in proptest::collection::vec("[A-Z][a-z]{4,9}", 4),
    ) {
        let text = format!("Dr. {} called {}. MRN: {}", names.join(" "), digits, digits.replace('-', ""));
        let a1 = Deidentifier::new(Policy::pseudonymize(), key(10));
        let a2 = Deidentifier::new(Policy::pseudonymize(), key(10));
        let b = Deidentifier::new(Policy::pseudonymize(), key(11));
        let ctx = DocumentContext::default();
        let x = a1.deidentify(&text, &ctx).text.into_inner();
        prop_assert_eq!(&x, &a2.deidentify(&text, &ctx).text.into_inner(), "same key, same output");
        prop_assert_ne!(&x, &b.deidentify(&text, &ctx).text.into_inner(), "another project, another output");
        prop_assert!(!x.contains(&digits));
    }

    #[test]
    fn date_shifts_are_consistent_and_keep_intervals(
        y in 1901i32..2099, m in 1u8..=12, d in 1u8..=28, gap in 0i64..2000, patient in "[A-Z0-9]{4,10}",
    ) {
        let first = time::Date::from_calendar_date(y, time::Month::try_from(m).expect("month"), d).expect("date");
        let second = first + time::Duration::days(gap);
        let fmt = |x: time::Date| format!("{:02}/{:02}/{:04}", u8::from(x.month()), x.day(), x.year());
        let p = Deidentifier::new(Policy::pseudonymize(), key(12));
        let q = Deidentifier::new(Policy::pseudonymize(), key(12));
        let s1 = shifted(&p, &patient, &fmt(first));
        let s2 = shifted(&p, &patient, &fmt(second));
        prop_assert_eq!(&s1, &shifted(&q, &patient, &fmt(first)), "same key, same shift");
        let n1 = dates::to_date(&s1).expect("shifted date parses");
        let n2 = dates::to_date(&s2).expect("shifted date parses");
        prop_assert_eq!((n2 - n1).whole_days(), gap, "interval preserved");
        let back = (first - n1).whole_days();
        prop_assert!((1..=365).contains(&back), "shift is 1 to 365 days back, got {}", back);
    }
}

#[test]
fn date_offsets_differ_across_projects() {
    let a = Deidentifier::new(Policy::pseudonymize(), key(13));
    let b = Deidentifier::new(Policy::pseudonymize(), key(14));
    let patients = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"];
    let same = patients
        .iter()
        .filter(|p| a.date_offset_days(p) == b.date_offset_days(p))
        .count();
    assert!(
        same < patients.len(),
        "two keys must not give the same offsets for every patient"
    );
    let distinct: std::collections::HashSet<i64> =
        patients.iter().map(|p| a.date_offset_days(p)).collect();
    assert!(distinct.len() > 1, "patients get different offsets");
}
