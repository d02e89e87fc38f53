//! Tables of channels: kind, where they send, which services' events they receive, health.

use super::{json, table};
use crate::cli::Output;
use anyhow::Result;
use beacon_server::wire::{ChannelView, CreatedChannelView, EscalationPolicyView};
use std::collections::HashMap;
use uuid::Uuid;

fn subscriptions(c: &ChannelView, names: &HashMap<Uuid, String>) -> String {
    if c.subscriptions.is_empty() {
        return "-".into();
    }
    c.subscriptions
        .iter()
        .map(|s| {
            let service = names
                .get(&s.service_id)
                .cloned()
                .unwrap_or_else(|| s.service_id.to_string());
            format!("{service}: {}", s.events.join(","))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn channels(out: Output, list: &[ChannelView], names: &HashMap<Uuid, String>) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&["ID", "NAME", "KIND", "TARGET", "SUBSCRIPTIONS", "HEALTH"]);
            for c in list {
                t.add_row(vec![
                    c.id.to_string(),
                    c.name.clone().unwrap_or_else(|| "-".into()),
                    c.kind.clone(),
                    c.target.clone(),
                    subscriptions(c, names),
                    match c.consecutive_failures {
                        0 => "ok".to_owned(),
                        n => format!("{n} failed"),
                    },
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

/// One channel with its settings (secrets masked).
pub fn channel(out: Output, c: &ChannelView, names: &HashMap<Uuid, String>) -> Result<()> {
    match out {
        Output::Json => json(c),
        Output::Table => {
            channels(out, std::slice::from_ref(c), names)?;
            for (k, v) in &c.settings {
                println!("{k}: {v}");
            }
            Ok(())
        }
    }
}

pub fn created_channel(
    out: Output,
    c: &CreatedChannelView,
    names: &HashMap<Uuid, String>,
) -> Result<()> {
    match out {
        Output::Json => json(c),
        Output::Table => {
            channel(out, &c.channel, names)?;
            if let Some(secret) = &c.secret {
                println!("Signing secret (shown only now): {secret}");
            }
            Ok(())
        }
    }
}

/// Policies, one step per row (a single policy from `create`/`get` prints as a list of one).
pub fn policies(out: Output, list: &[EscalationPolicyView]) -> Result<()> {
    match out {
        Output::Json if list.len() == 1 => json(&list[0]),
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&["ID", "NAME", "STEP", "AFTER", "CHANNELS", "REPEAT"]);
            for p in list {
                for (i, s) in p.steps.iter().enumerate() {
                    t.add_row(vec![
                        if i == 0 {
                            p.id.to_string()
                        } else {
                            String::new()
                        },
                        if i == 0 {
                            p.name.clone()
                        } else {
                            String::new()
                        },
                        (i + 1).to_string(),
                        s.delay.clone(),
                        s.channels
                            .iter()
                            .map(|c| c.name.clone().unwrap_or_else(|| c.id.to_string()))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if i == 0 {
                            p.repeat.to_string()
                        } else {
                            String::new()
                        },
                    ]);
                }
            }
            println!("{t}");
            Ok(())
        }
    }
}
