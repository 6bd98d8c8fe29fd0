//! Rectangles to black out, and region templates per device model.

use serde::{Deserialize, Serialize};

/// A rectangle in pixel coordinates (origin top left), applied to every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Left edge (column).
    pub x: u32,
    /// Top edge (row).
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Region {
    /// The part of the region inside a `columns` × `rows` image, or `None` if nothing of
    /// it is.
    pub fn clip(self, columns: u32, rows: u32) -> Option<Region> {
        let x1 = self.x.saturating_add(self.width).min(columns);
        let y1 = self.y.saturating_add(self.height).min(rows);
        (self.x < x1 && self.y < y1).then(|| Region {
            x: self.x,
            y: self.y,
            width: x1 - self.x,
            height: y1 - self.y,
        })
    }

    /// The region grown by `pad` pixels on every side (not clipped).
    pub fn padded(self, pad: u32) -> Region {
        Region {
            x: self.x.saturating_sub(pad),
            y: self.y.saturating_sub(pad),
            width: self.width.saturating_add(2 * pad),
            height: self.height.saturating_add(2 * pad),
        }
    }
}

/// Regions where a device model burns text in (patient banner, dates, operator), for
/// images of a given manufacturer and model (and optionally size).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionTemplate {
    /// Manufacturer (0008,0070), compared case-insensitively after trimming.
    pub manufacturer: String,
    /// Manufacturer's Model Name (0008,1090), compared the same way.
    pub model: String,
    /// Columns the template was drawn for; when set, images of other widths do not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<u32>,
    /// Rows the template was drawn for; when set, images of other heights do not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u32>,
    /// The regions to black out.
    pub regions: Vec<Region>,
}

impl RegionTemplate {
    /// True when the template is for this device and image size.
    pub fn matches(&self, manufacturer: &str, model: &str, columns: u32, rows: u32) -> bool {
        let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        same(&self.manufacturer, manufacturer)
            && same(&self.model, model)
            && self.columns.is_none_or(|c| c == columns)
            && self.rows.is_none_or(|r| r == rows)
    }
}

/// The regions of every template in `templates` matching the device and size.
pub fn template_regions(
    templates: &[RegionTemplate],
    manufacturer: &str,
    model: &str,
    columns: u32,
    rows: u32,
) -> Vec<Region> {
    templates
        .iter()
        .filter(|t| t.matches(manufacturer, model, columns, rows))
        .flat_map(|t| t.regions.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_device_and_size_and_load_from_json() {
        let t: Vec<RegionTemplate> = serde_json::from_str(
            r#"[{"manufacturer":"Acme Medical","model":"Sono 5","columns":640,
                 "regions":[{"x":0,"y":0,"width":640,"height":40}]}]"#,
        )
        .expect("templates in JSON");
        assert_eq!(
            template_regions(&t, " acme medical", "SONO 5 ", 640, 480).len(),
            1
        );
        assert!(template_regions(&t, "Acme Medical", "Sono 5", 800, 600).is_empty());
        assert!(template_regions(&t, "Other", "Sono 5", 640, 480).is_empty());
    }

    #[test]
    fn clipping_and_padding() {
        let r = Region {
            x: 630,
            y: 5,
            width: 20,
            height: 10,
        };
        assert_eq!(
            r.clip(640, 480),
            Some(Region {
                x: 630,
                y: 5,
                width: 10,
                height: 10
            })
        );
        assert_eq!(r.clip(600, 480), None);
        assert_eq!(
            r.padded(8),
            Region {
                x: 622,
                y: 0,
                width: 36,
                height: 26
            }
        );
    }
}
