//! Integration tests of airlock-agreement through its public API.

mod properties;
