//! The keys of a JSON report with the step each first showed at, as the timing test and the
//! scan benchmark compare them.

use serde_json::Value;
use std::collections::BTreeSet;

/// Each observation of `report` as (first step, key name).
pub fn first_steps(report: &Value) -> BTreeSet<(String, String)> {
    report["observations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["first_step"].as_str().unwrap_or_default().to_string(),
                o["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
