//! Tables of Kubernetes objects the watcher tracks and their events.

use super::{json, short, table};
use crate::cli::Output;
use anyhow::Result;
use beacon_server::wire::{KubeEventView, KubeObjectView};

pub fn kube_objects(out: Output, list: &[KubeObjectView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "ID",
                "KIND",
                "NAMESPACE",
                "NAME",
                "STATUS",
                "VALUE",
                "SINCE",
                "DELETED",
            ]);
            for o in list {
                t.add_row(vec![
                    o.id.to_string(),
                    o.kind.clone(),
                    o.namespace.clone(),
                    o.name.clone(),
                    o.status.clone(),
                    o.annotation_value.clone(),
                    short(&o.created_at),
                    o.deleted_at.as_deref().map(short).unwrap_or_default(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn kube_events(out: Output, list: &[KubeEventView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "ID",
                "EVENT",
                "REASON",
                "KIND",
                "NAMESPACE",
                "NAME",
                "AT",
                "DELIVERED",
                "PENDING",
                "FAILED",
            ]);
            for e in list {
                t.add_row(vec![
                    e.id.to_string(),
                    e.event.trim_start_matches("kubernetes_").to_owned(),
                    e.reason.clone(),
                    e.kind.clone(),
                    e.namespace.clone(),
                    e.name.clone(),
                    short(&e.created_at),
                    e.deliveries.delivered.to_string(),
                    e.deliveries.pending.to_string(),
                    e.deliveries.failed.to_string(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}
