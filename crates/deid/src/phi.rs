//! [`Phi`]: a wrapper for values that may contain protected health information.

use std::fmt;

/// A value that may hold protected health information (clinical text, identifiers).
///
/// `Debug` prints `<redacted>` so the value never reaches a log by accident, and the
/// type implements neither `Display` nor `Serialize`: read it with [`Phi::expose`] at the
/// point of use and copy it explicitly into whatever shows or stores it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Phi<T>(T);

impl<T> Phi<T> {
    /// Wrap a value.
    pub fn new(value: T) -> Self {
        Phi(value)
    }

    /// Borrow the wrapped value.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwrap the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Phi<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> From<T> for Phi<T> {
    fn from(value: T) -> Self {
        Phi(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let p = Phi::new(String::from("John Smith"));
        assert_eq!(
            format!("{p:?}"),
            "<redacted>",
            "PHI must never be formatted"
        );
        assert_eq!(p.expose(), "John Smith");
    }
}
