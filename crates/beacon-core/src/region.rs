//! Regions: where checks run from. Each (endpoint, region) pair is its own stream of slots; workers claim the
//! slots of their region.

use crate::ValidationError;

/// The region of a server's own in-process worker unless configured otherwise, and of endpoints that name none.
pub const DEFAULT_REGION: &str = "default";

/// A region's name: 1-64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit (e.g. `eu-west`).
pub fn validate_name(name: &str) -> Result<String, ValidationError> {
    let name = name.trim();
    crate::heartbeat::validate_slug(name).map_err(|_| {
        ValidationError::new(
            "name",
            format!(
                "{name:?} is not a region name: use 1-64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit (e.g. eu-west)"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_are_short_lowercase_words() {
        assert_eq!(validate_name(" eu-west ").expect("ok"), "eu-west");
        for bad in ["", "EU West", "-x", "a/b", &"x".repeat(65)] {
            assert_eq!(validate_name(bad).expect_err(bad).field, "name");
        }
    }
}
