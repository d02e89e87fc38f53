//! Tables of channels: kind, where they send, which services' events they receive, health.

use super::{json, table};
use crate::cli::Output;
use anyhow::Result;
use beacon_server::wire::{
    ChannelView, CreatedChannelView, EscalationPolicyView, MaintenanceView,
    MonitorNotificationsView,
};
use std::collections::HashMap;
use uuid::Uuid;

fn subscriptions(c: &ChannelView, names: &HashMap<Uuid, String>) -> String {
    let all = c.subscription_lines(names);
    if all.is_empty() {
        return "-".into();
    }
    all.join("; ")
}

/// What follows a monitor's incidents, and the channels it adds or mutes.
pub fn monitor_notifications(
    out: Output,
    n: &MonitorNotificationsView,
    policies: &HashMap<Uuid, String>,
) -> Result<()> {
    match out {
        Output::Json => json(n),
        Output::Table => {
            let reminders = match (&n.remind_every, n.remind_max) {
                (Some(every), Some(max)) => format!("every {every}, at most {max}"),
                _ => "off".to_owned(),
            };
            let policy = n.escalation_policy_id.map_or_else(
                || "none".to_owned(),
                |id| policies.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            );
            println!("reminders: {reminders} (from the {})", n.reminders_from);
            println!(
                "escalation policy: {policy} (from the {})",
                n.escalation_from
            );
            for c in &n.channels {
                let name = c.name.clone().unwrap_or_else(|| c.channel_id.to_string());
                if c.muted {
                    println!("channel {name}: muted");
                } else {
                    println!("channel {name}: {}", c.events.join(","));
                }
            }
            Ok(())
        }
    }
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

/// Maintenance windows (one from `create`/`get`/`end` prints as a list of one; `-o json` as the object).
pub fn maintenance(
    out: Output,
    list: &[MaintenanceView],
    names: &HashMap<Uuid, String>,
) -> Result<()> {
    match out {
        Output::Json if list.len() == 1 => json(&list[0]),
        Output::Json => json(list),
        Output::Table => {
            let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| id.to_string());
            let mut t = table(&["ID", "FOR", "WHEN", "NOW", "REASON"]);
            for w in list {
                let target = match (&w.service_id, &w.monitor_id) {
                    (Some(s), _) => format!("service {}", name(s)),
                    (_, Some(m)) => name(m),
                    _ => "-".into(),
                };
                let when = match (&w.start, &w.end, &w.cron) {
                    (Some(s), Some(e), _) => format!("{s} to {e}"),
                    (_, _, Some(c)) => format!(
                        "{c} ({}) for {}",
                        w.tz.as_deref().unwrap_or("UTC"),
                        w.duration.as_deref().unwrap_or("-")
                    ),
                    _ => "-".into(),
                };
                let now = match (&w.active_until, &w.next_start, &w.ended_at) {
                    (Some(until), _, _) => format!("in force until {until}"),
                    (None, Some(next), _) => format!("next at {next}"),
                    (None, None, Some(ended)) => format!("ended at {ended}"),
                    (None, None, None) => "over".into(),
                };
                t.add_row(vec![
                    w.id.to_string(),
                    target,
                    when,
                    now,
                    w.reason.clone().unwrap_or_else(|| "-".into()),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}
