//! Kubernetes objects as Beacon tracks them, pure: which objects count (the annotation rule), what one sighting of
//! an object means for its record (`created`, `deleted`, or nothing), and the diff of a full listing against the
//! records (reconciliation). The watcher (`beacon-kube`) and the store apply these; nothing here talks to a
//! cluster.

use crate::{Millis, ValidationError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Seed 001's annotation key.
pub const DEFAULT_ANNOTATION_KEY: &str = "bakerapps.net.maas";

/// Which objects count: those carrying `key`, with one of `values` (any value when `values` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationRule {
    pub key: String,
    pub values: Vec<String>,
}

impl Default for AnnotationRule {
    fn default() -> Self {
        Self {
            key: DEFAULT_ANNOTATION_KEY.to_owned(),
            values: Vec::new(),
        }
    }
}

impl AnnotationRule {
    /// A rule from configuration: the key must be a valid annotation key (`[prefix/]name`, name ≤ 63
    /// characters of alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric).
    pub fn new(key: &str, values: Vec<String>) -> Result<Self, ValidationError> {
        let (prefix, name) = match key.rsplit_once('/') {
            Some((p, n)) => (Some(p), n),
            None => (None, key),
        };
        let name_ok = !name.is_empty()
            && name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric());
        let prefix_ok = prefix.is_none_or(|p| {
            !p.is_empty()
                && p.len() <= 253
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
        });
        if !name_ok || !prefix_ok {
            return Err(ValidationError::new(
                "annotation.key",
                format!(
                    "{key:?} is not an annotation key: use [prefix/]name, the name at most 63 letters, digits, '-', '_' or '.'"
                ),
            ));
        }
        Ok(Self {
            key: key.to_owned(),
            values,
        })
    }

    /// The annotation's value when the object counts.
    pub fn value_of<'a>(&self, annotations: &'a BTreeMap<String, String>) -> Option<&'a str> {
        let v = annotations.get(&self.key)?;
        (self.values.is_empty() || self.values.iter().any(|a| a == v)).then_some(v.as_str())
    }
}

/// What Beacon keeps of an object: enough to report it after it is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub uid: String,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `None` for cluster-scoped kinds.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub resource_version: String,
}

/// One sighting of an object, from a list or a watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub meta: ObjectMeta,
    /// The annotation's value when the object counts (carries the annotation with an accepted value).
    pub tracked: Option<String>,
    /// False for a watch's `DELETED`: the object is gone (or left the watched set).
    pub present: bool,
}

impl Sighting {
    pub fn new(meta: ObjectMeta, rule: &AnnotationRule, present: bool) -> Self {
        let tracked = rule.value_of(&meta.annotations).map(str::to_owned);
        Self {
            meta,
            tracked,
            present,
        }
    }

    /// Counts now: present and annotated.
    pub fn counts(&self) -> bool {
        self.present && self.tracked.is_some()
    }
}

/// What a sighting changes about an object's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Created,
    Deleted,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Deleted => "deleted",
        }
    }
}

/// Why an event was emitted, in words a person reads in the event list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Created with the annotation (or first seen with it).
    Added,
    /// An existing object gained the annotation.
    AnnotationAdded,
    /// Deleted while annotated.
    Removed,
    /// The annotation was removed (or its value is no longer accepted).
    AnnotationRemoved,
    /// Found by reconciliation: annotated in the cluster, unknown to the database.
    MissedCreation,
    /// Found by reconciliation: gone from the cluster (or no longer annotated), active in the database.
    MissedDeletion,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Added => "added",
            Reason::AnnotationAdded => "annotation_added",
            Reason::Removed => "removed",
            Reason::AnnotationRemoved => "annotation_removed",
            Reason::MissedCreation => "missed_creation",
            Reason::MissedDeletion => "missed_deletion",
        }
    }
}

/// The record's state before a sighting, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// No record: never seen annotated.
    Unknown,
    /// Annotated the last time it was seen (a `created` was emitted, no `deleted` since).
    Active,
    /// Seen annotated once, then deleted or un-annotated.
    Inactive,
}

/// What a watch sighting means: `created` when an object counts now and did not, `deleted` when it counted and
/// does not now; nothing otherwise (an update that keeps the annotation, a second sighting of the same state).
pub fn on_sighting(known: Known, s: &Sighting) -> Option<(Change, Reason)> {
    match (known, s.counts()) {
        (Known::Active, true) | (Known::Unknown | Known::Inactive, false) => None,
        (Known::Unknown, true) => Some((Change::Created, Reason::Added)),
        (Known::Inactive, true) => Some((Change::Created, Reason::AnnotationAdded)),
        (Known::Active, false) if s.present => Some((Change::Deleted, Reason::AnnotationRemoved)),
        (Known::Active, false) => Some((Change::Deleted, Reason::Removed)),
    }
}

/// Reconciliation: the full listing of a watched set against the records active in that set. Objects that count
/// and are not active → `created`; active records whose object is missing or no longer counts → `deleted`. In
/// listing order, then the missing ones by uid.
pub fn reconcile<'a>(
    active: &HashSet<&str>,
    listed: &'a [Sighting],
    missing_meta: impl Fn(&str) -> Option<&'a ObjectMeta>,
) -> Vec<(Change, &'a ObjectMeta)> {
    let mut out = Vec::new();
    let mut seen: HashSet<&str> = HashSet::with_capacity(listed.len());
    for s in listed {
        seen.insert(s.meta.uid.as_str());
        let is_active = active.contains(s.meta.uid.as_str());
        match (is_active, s.counts()) {
            (false, true) => out.push((Change::Created, &s.meta)),
            (true, false) => out.push((Change::Deleted, &s.meta)),
            _ => {}
        }
    }
    let mut gone: Vec<&str> = active
        .iter()
        .copied()
        .filter(|uid| !seen.contains(uid))
        .collect();
    gone.sort_unstable();
    for uid in gone {
        if let Some(meta) = missing_meta(uid) {
            out.push((Change::Deleted, meta));
        }
    }
    out
}

/// Whether an object in `namespace` belongs to a watched set that includes `include` (all when empty) and
/// leaves out `exclude`.
pub fn in_namespaces(namespace: Option<&str>, include: &[String], exclude: &[String]) -> bool {
    let ns = namespace.unwrap_or("");
    (include.is_empty() || include.iter().any(|n| n == ns)) && !exclude.iter().any(|n| n == ns)
}

/// The payload of a `kubernetes_created` / `kubernetes_deleted` event: the object as last seen, why, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectEvent {
    #[serde(flatten)]
    pub object: ObjectMeta,
    pub annotation_value: String,
    pub reason: Reason,
    pub detected_at: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: &str, annotations: &[(&str, &str)]) -> ObjectMeta {
        ObjectMeta {
            uid: uid.into(),
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: format!("cm-{uid}"),
            namespace: Some("default".into()),
            labels: BTreeMap::new(),
            annotations: annotations
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            resource_version: "1".into(),
        }
    }

    #[test]
    fn the_rule_takes_the_key_and_accepted_values() {
        let any = AnnotationRule::default();
        let m = meta("a", &[(DEFAULT_ANNOTATION_KEY, "x")]);
        assert_eq!(any.value_of(&m.annotations), Some("x"));
        assert_eq!(
            any.value_of(&meta("b", &[("other", "x")]).annotations),
            None
        );
        let some =
            AnnotationRule::new("bakerapps.net/maas", vec!["managed".into()]).expect("valid");
        assert_eq!(
            some.value_of(&meta("c", &[("bakerapps.net/maas", "managed")]).annotations),
            Some("managed")
        );
        assert_eq!(
            some.value_of(&meta("d", &[("bakerapps.net/maas", "no")]).annotations),
            None
        );
        for bad in ["", "/x", "a b", "-x", "x/", "UPPER/x", &"n".repeat(64)] {
            let err = AnnotationRule::new(bad, vec![]).expect_err(bad);
            assert_eq!(err.field, "annotation.key");
        }
    }

    #[test]
    fn sightings_follow_the_annotation() {
        let rule = AnnotationRule::default();
        let with = Sighting::new(meta("a", &[(DEFAULT_ANNOTATION_KEY, "")]), &rule, true);
        let without = Sighting::new(meta("a", &[]), &rule, true);
        let gone = Sighting::new(meta("a", &[(DEFAULT_ANNOTATION_KEY, "")]), &rule, false);
        assert_eq!(
            on_sighting(Known::Unknown, &with),
            Some((Change::Created, Reason::Added))
        );
        assert_eq!(
            on_sighting(Known::Inactive, &with),
            Some((Change::Created, Reason::AnnotationAdded))
        );
        assert_eq!(on_sighting(Known::Active, &with), None);
        assert_eq!(
            on_sighting(Known::Active, &without),
            Some((Change::Deleted, Reason::AnnotationRemoved))
        );
        assert_eq!(
            on_sighting(Known::Active, &gone),
            Some((Change::Deleted, Reason::Removed))
        );
        assert_eq!(on_sighting(Known::Unknown, &without), None);
        assert_eq!(on_sighting(Known::Unknown, &gone), None);
        assert_eq!(on_sighting(Known::Inactive, &gone), None);
    }

    #[test]
    fn reconciliation_finds_what_was_missed_both_ways() {
        let rule = AnnotationRule::default();
        let listed = vec![
            Sighting::new(meta("new", &[(DEFAULT_ANNOTATION_KEY, "")]), &rule, true),
            Sighting::new(meta("kept", &[(DEFAULT_ANNOTATION_KEY, "")]), &rule, true),
            Sighting::new(meta("unannotated", &[]), &rule, true),
            Sighting::new(meta("plain", &[]), &rule, true),
        ];
        let gone_meta = meta("gone", &[(DEFAULT_ANNOTATION_KEY, "")]);
        let active: HashSet<&str> = ["kept", "unannotated", "gone"].into_iter().collect();
        let out = reconcile(&active, &listed, |uid| {
            (uid == "gone").then_some(&gone_meta)
        });
        let got: Vec<(Change, &str)> = out.iter().map(|(c, m)| (*c, m.uid.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (Change::Created, "new"),
                (Change::Deleted, "unannotated"),
                (Change::Deleted, "gone"),
            ]
        );
        // A second pass over the state the first produced finds nothing.
        let active: HashSet<&str> = ["kept", "new"].into_iter().collect();
        assert!(reconcile(&active, &listed, |_| None).is_empty());
    }

    #[test]
    fn namespaces_include_and_exclude() {
        let none: Vec<String> = vec![];
        assert!(in_namespaces(Some("a"), &none, &none));
        assert!(in_namespaces(None, &none, &none));
        assert!(in_namespaces(Some("a"), &["a".into()], &none));
        assert!(!in_namespaces(Some("b"), &["a".into()], &none));
        assert!(!in_namespaces(
            Some("kube-system"),
            &none,
            &["kube-system".into()]
        ));
    }
}
