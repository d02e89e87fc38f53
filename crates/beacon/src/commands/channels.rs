//! `channels` and `escalations`: where notifications go, and who hears of an incident when, over `Operations`.

use super::{event_list, header_map, secret_from_stdin, table_names, tested};
use crate::cli::{
    ChannelFlags, ChannelsCmd, EscalationsCmd, FollowUpFlags, Output, SubscriptionTarget,
};
use crate::error::UsageError;
use crate::names::{self, maybe};
use crate::output;
use anyhow::Result;
use beacon_server::api::Operations;
use beacon_server::wire::*;
use std::collections::BTreeMap;

/// The one secret a channel kind reads from standard input, if a `--*-stdin` flag asks for it.
fn channel_secret(f: &ChannelFlags) -> Result<Option<String>> {
    let asked = [f.smtp_password_stdin, f.bot_token_stdin, f.token_stdin]
        .iter()
        .filter(|b| **b)
        .count();
    match asked {
        0 => Ok(None),
        1 => Ok(Some(secret_from_stdin()?)),
        _ => Err(UsageError(
            "give one --*-stdin flag: a channel reads one secret from standard input".into(),
        )
        .into()),
    }
}

/// Flags to the API's channel fields.
fn channel_fields(f: ChannelFlags) -> Result<ChannelFields> {
    let secret = channel_secret(&f)?;
    let map = header_map(&f.headers)?;
    Ok(ChannelFields {
        url: f.url,
        smtp_host: f.smtp_host,
        smtp_port: f.smtp_port,
        smtp_security: f.smtp_security,
        smtp_user: f.smtp_user,
        smtp_password: secret.clone().filter(|_| f.smtp_password_stdin),
        from: f.from,
        to: f.to,
        routing_key: f.routing_key,
        bot_token: secret.clone().filter(|_| f.bot_token_stdin),
        chat_id: f.chat_id,
        thread_id: f.thread_id,
        topic: f.topic,
        token: secret.filter(|_| f.token_stdin),
        user_key: f.user_key,
        room_id: f.room_id,
        headers: (!map.is_empty()).then_some(map),
        unknown: BTreeMap::new(),
    })
}

pub async fn channels(ops: &dyn Operations, out: Output, cmd: ChannelsCmd) -> Result<()> {
    match cmd {
        ChannelsCmd::Create {
            kind,
            name,
            flags,
            service_id,
            events,
        } => {
            let service_id =
                maybe(service_id, |n| async move { names::service(ops, &n).await }).await?;
            let body = ChannelCreate {
                kind,
                name,
                fields: channel_fields(*flags)?,
                service_id,
                events: events.map(event_list),
            };
            let created = ops.create_channel(body).await?;
            output::created_channel(out, &created, &table_names(ops, out).await?)
        }
        ChannelsCmd::List => {
            let list = ops.list_channels().await?.data;
            output::channels(out, &list, &table_names(ops, out).await?)
        }
        ChannelsCmd::Get { id } => {
            let id = names::channel(ops, &id).await?;
            output::channel(
                out,
                &ops.get_channel(id).await?,
                &table_names(ops, out).await?,
            )
        }
        ChannelsCmd::Update { id, name, flags } => {
            let id = names::channel(ops, &id).await?;
            let fields = channel_fields(*flags)?;
            if name.is_none()
                && serde_json::to_value(&fields)?
                    .as_object()
                    .is_none_or(|o| o.is_empty())
            {
                return Err(UsageError(
                    "nothing to change: give --name or a setting of the channel's kind".into(),
                )
                .into());
            }
            let updated = ops
                .update_channel(id, ChannelPatchBody { name, fields })
                .await?;
            output::channel(out, &updated, &table_names(ops, out).await?)
        }
        ChannelsCmd::Delete { id } => {
            let id = names::channel(ops, &id).await?;
            ops.delete_channel(id).await?;
            output::deleted(out, "channel", id)
        }
        ChannelsCmd::Test { id } => {
            let id = names::channel(ops, &id).await?;
            tested(out, &ops.test_channel(id).await?, "message")
        }
        ChannelsCmd::Subscribe { id, target, events } => {
            let id = names::channel(ops, &id).await?;
            let (service_id, monitor_id) = subscription_target(ops, target).await?;
            let body = SubscribeBody {
                service_id,
                monitor_id,
                events: event_list(events),
            };
            output::channel(
                out,
                &ops.subscribe_channel(id, body).await?,
                &table_names(ops, out).await?,
            )
        }
        ChannelsCmd::Unsubscribe { id, target } => {
            let id = names::channel(ops, &id).await?;
            let (service_id, monitor_id) = subscription_target(ops, target).await?;
            let target = service_id.or(monitor_id).expect("clap requires one");
            output::channel(
                out,
                &ops.unsubscribe_channel(id, target).await?,
                &table_names(ops, out).await?,
            )
        }
        ChannelsCmd::Mute { id, monitor_id } => {
            let id = names::channel(ops, &id).await?;
            let monitor_id = names::monitor(ops, &monitor_id).await?;
            output::channel(
                out,
                &ops.mute_channel(id, MuteBody { monitor_id }).await?,
                &table_names(ops, out).await?,
            )
        }
        ChannelsCmd::Unmute { id, monitor_id } => {
            let id = names::channel(ops, &id).await?;
            let monitor_id = names::monitor(ops, &monitor_id).await?;
            output::channel(
                out,
                &ops.unmute_channel(id, monitor_id).await?,
                &table_names(ops, out).await?,
            )
        }
    }
}

/// A subscription's service or monitor, resolved to ids.
async fn subscription_target(
    ops: &dyn Operations,
    t: SubscriptionTarget,
) -> Result<(Option<uuid::Uuid>, Option<uuid::Uuid>)> {
    Ok((
        maybe(
            t.service_id,
            |n| async move { names::service(ops, &n).await },
        )
        .await?,
        maybe(
            t.monitor_id,
            |n| async move { names::monitor(ops, &n).await },
        )
        .await?,
    ))
}

/// Apply a monitor's `--remind-*`/`--escalation-policy` flags, if given; with `print`, show what follows its
/// incidents afterwards.
pub async fn follow_ups(
    ops: &dyn Operations,
    out: Output,
    monitor: uuid::Uuid,
    f: FollowUpFlags,
    print: bool,
) -> Result<()> {
    if !f.given() {
        return Ok(());
    }
    let body = MonitorNotificationsPatch {
        remind_every: f.remind_every,
        remind_max: f.remind_max,
        escalation_policy: f.escalation_policy,
    };
    let n = ops.update_monitor_notifications(monitor, body).await?;
    if print {
        let policies = ops
            .list_policies()
            .await?
            .data
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        output::monitor_notifications(out, &n, &policies)?;
    }
    Ok(())
}

/// A policy by UUID or name.
async fn policy_id(ops: &dyn Operations, given: &str) -> Result<uuid::Uuid> {
    if let Ok(id) = uuid::Uuid::try_parse(given) {
        return Ok(id);
    }
    ops.list_policies()
        .await?
        .data
        .into_iter()
        .find(|p| p.name == given)
        .map(|p| p.id)
        .ok_or_else(|| {
            UsageError(format!("no escalation policy has the id or name {given:?}")).into()
        })
}

pub async fn escalations(ops: &dyn Operations, out: Output, cmd: EscalationsCmd) -> Result<()> {
    match cmd {
        EscalationsCmd::Create {
            name,
            steps,
            repeat,
        } => {
            let body = EscalationCreate {
                name,
                steps,
                repeat: Some(repeat),
            };
            output::policies(out, &[ops.create_policy(body).await?])
        }
        EscalationsCmd::List => output::policies(out, &ops.list_policies().await?.data),
        EscalationsCmd::Get { id } => {
            let id = policy_id(ops, &id).await?;
            output::policies(out, &[ops.get_policy(id).await?])
        }
        EscalationsCmd::Delete { id } => {
            let id = policy_id(ops, &id).await?;
            ops.delete_policy(id).await?;
            output::deleted(out, "escalation policy", id)
        }
    }
}
