//! File names from a flow's template (`%DESTINATION%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmmss)%`),
//! with the macros of aep-contracts §6.1.

use shared::time::EpochMillis;

/// What the macros stand for in one export.
pub struct NameParts<'a> {
    pub destination: &'a str,
    pub dataflow_id: &'a str,
    pub dataflow_name: &'a str,
    pub segment_id: &'a str,
    pub segment_name: &'a str,
    pub organization: &'a str,
    pub sandbox: &'a str,
    pub at: EpochMillis,
}

pub const DEFAULT_TEMPLATE: &str = "%DESTINATION%_segment%SEGMENT_ID%_%DATETIME(YYYYMMddHHmmss)%";
const MAX_NAME: usize = 240;

/// The file name without extension; text outside macros is kept, characters a file system or
/// object store would choke on become `_`.
pub fn expand(template: &str, parts: &NameParts) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('%') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        out.push_str(&macro_value(&after[..end], parts));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    sanitize(&out)
}

/// Keeps letters, digits, `-`, `_` and `.`; anything else (a `/` above all) becomes `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME)
        .collect()
}

fn macro_value(name: &str, parts: &NameParts) -> String {
    if let Some(format) = name
        .strip_prefix("DATETIME(")
        .and_then(|f| f.strip_suffix(')'))
    {
        return datetime(format, parts.at);
    }
    match name {
        "DESTINATION" | "DESTINATION_NAME" => parts.destination.to_owned(),
        "DESTINATION_INSTANCE_ID" => parts.dataflow_id.to_owned(),
        "DESTINATION_INSTANCE_NAME" => parts.dataflow_name.to_owned(),
        "SEGMENT_ID" => parts.segment_id.to_owned(),
        "SEGMENT_NAME" => parts.segment_name.to_owned(),
        "ORGANIZATION_NAME" => parts.organization.to_owned(),
        "SANDBOX_NAME" => parts.sandbox.to_owned(),
        "TIMESTAMP" => (parts.at.0 / 1000).to_string(),
        custom => custom.to_owned(),
    }
}

/// Java-style patterns: `YYYY`/`yyyy`, `MM` month, `dd`/`DD` day, `HH`, `mm` minutes, `ss`.
fn datetime(format: &str, at: EpochMillis) -> String {
    let date = at.utc_date();
    let (hour, minute, second) = at.utc_time_of_day();
    let mut out = String::new();
    let mut rest = format;
    while !rest.is_empty() {
        let (text, used) = match rest.get(..4) {
            Some("YYYY" | "yyyy") => (format!("{:04}", date.year()), 4),
            _ => match rest.get(..2) {
                Some("MM") => (format!("{:02}", date.month()), 2),
                Some("dd" | "DD") => (format!("{:02}", date.day()), 2),
                Some("HH") => (format!("{hour:02}"), 2),
                Some("mm") => (format!("{minute:02}"), 2),
                Some("ss" | "SS") => (format!("{second:02}"), 2),
                _ => {
                    let c = rest.chars().next().expect("rest is not empty");
                    (c.to_string(), c.len_utf8())
                }
            },
        };
        out.push_str(&text);
        rest = &rest[used..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::time::Date;

    fn parts() -> NameParts<'static> {
        NameParts {
            destination: "Amazon S3",
            dataflow_id: "df-1",
            dataflow_name: "Flash sale S3",
            segment_id: "seg-1",
            segment_name: "여름 VIP / Summer",
            organization: "Acme",
            sandbox: "prod",
            at: Date::new(2026, 11, 30)
                .unwrap()
                .start_millis()
                .plus_seconds(13 * 3600 + 4 * 60 + 5),
        }
    }

    #[test]
    fn every_macro_expands() {
        assert_eq!(
            expand(
                "%DESTINATION%_%SEGMENT_ID%_%SEGMENT_NAME%_%DESTINATION_INSTANCE_ID%_%DESTINATION_INSTANCE_NAME%_%DATETIME(YYYYMMdd_HHmmss)%",
                &parts()
            ),
            "Amazon_S3_seg-1_여름_VIP___Summer_df-1_Flash_sale_S3_20261130_130405"
        );
        assert_eq!(
            expand(
                "%DESTINATION_NAME%-%ORGANIZATION_NAME%-%SANDBOX_NAME%-%TIMESTAMP%-%custom%",
                &parts()
            ),
            "Amazon_S3-Acme-prod-1796043845-custom"
        );
    }

    #[test]
    fn the_default_matches_adobes_ui_default() {
        assert_eq!(
            expand(DEFAULT_TEMPLATE, &parts()),
            "Amazon_S3_segmentseg-1_20261130130405"
        );
    }

    #[test]
    fn nothing_can_escape_the_folder() {
        let name = expand("../../etc/%SEGMENT_ID%/x", &parts());
        assert!(!name.contains('/'), "{name}");
    }
}
