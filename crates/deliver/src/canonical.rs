//! JSON canonicalisation (RFC 8785, JCS) for the values certificates use: objects with
//! keys sorted by UTF-16 code units, no insignificant white space, strings escaped as
//! JCS requires, integers only (|n| ≤ 2^53, where JCS's ECMAScript number form is the
//! plain decimal). Independent of whether `serde_json` keeps insertion order.

use serde_json::Value;

/// The largest integer JCS writes as plain digits without loss (2^53).
const MAX_SAFE: u64 = 1 << 53;

/// Why a value has no canonical form here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotCanonical;

/// The canonical bytes of `v`.
pub(crate) fn canonical_json(v: &Value) -> Result<Vec<u8>, NotCanonical> {
    let mut out = Vec::new();
    write(&mut out, v)?;
    Ok(out)
}

fn write(out: &mut Vec<u8>, v: &Value) -> Result<(), NotCanonical> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            let text = if let Some(u) = n.as_u64() {
                (u <= MAX_SAFE).then(|| u.to_string())
            } else if let Some(i) = n.as_i64() {
                (i.unsigned_abs() <= MAX_SAFE).then(|| i.to_string())
            } else {
                None
            };
            out.extend_from_slice(text.ok_or(NotCanonical)?.as_bytes());
        }
        // serde_json escapes exactly as JCS: `"` `\` \b \t \n \f \r, other controls as
        // lowercase \u00xx, everything else literal UTF-8.
        Value::String(s) => out.extend_from_slice(
            serde_json::to_string(s)
                .expect("strings serialise")
                .as_bytes(),
        ),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, x)?;
            }
            out.push(b']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(
                    serde_json::to_string(k)
                        .expect("strings serialise")
                        .as_bytes(),
                );
                out.push(b':');
                write(out, &o[k.as_str()])?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(v: Value) -> String {
        String::from_utf8(canonical_json(&v).unwrap()).unwrap()
    }

    #[test]
    fn keys_sort_by_utf16_and_strings_escape_as_jcs() {
        // RFC 8785 §3.2.3 sorts by UTF-16 code units: 😀 (surrogates D83D DE00) comes before
        // U+FB33, although its UTF-8 bytes (F0 …) come after U+FB33's (EF …).
        let v = json!({"\u{fb33}": 1, "😀": 2, "€": 3, "b": [true, null], "a": "x\u{1}\n\"\\/é"});
        assert_eq!(
            c(v),
            "{\"a\":\"x\\u0001\\n\\\"\\\\/é\",\"b\":[true,null],\"€\":3,\"😀\":2,\"\u{fb33}\":1}"
        );
        assert_eq!(
            c(json!({"n": -5, "m": 9007199254740992u64})),
            "{\"m\":9007199254740992,\"n\":-5}"
        );
    }

    #[test]
    fn floats_and_unsafe_integers_have_no_canonical_form_here() {
        assert_eq!(canonical_json(&json!(1.5)), Err(NotCanonical));
        assert_eq!(
            canonical_json(&json!([9007199254740993u64])),
            Err(NotCanonical)
        );
    }
}
