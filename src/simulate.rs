//! `calltray simulate`: plays Ubity's part, so a user can try their setup without a phone.
//!
//! It sends the same HTTP callbacks Ubity would, in order and with pauses, to the listener
//! named in the config, and prints each answer.

use crate::config::Config;
use crate::event::Direction;
use crate::tr;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// One made-up call.
#[derive(Debug, Clone)]
pub struct Plan {
    pub direction: Direction,
    /// The other party.
    pub number: String,
    /// The user's extension; the first configured one when not given.
    pub extension: Option<String>,
    /// Seconds of ringing before the answer (or before the caller gives up, when missed).
    pub answer_after: f64,
    /// Seconds of conversation before hanging up.
    pub hangup_after: f64,
    /// Nobody answers.
    pub missed: bool,
    /// Send POST requests instead of GET.
    pub post: bool,
}

/// The base URL where the listener in `config` can be reached from this computer.
pub fn local_base(config: &Config) -> String {
    let addr = config.listen.address;
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Sends the plan's callbacks and reports each answer on `out`.
pub fn run(config: &Config, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    let lang = config.language;
    for secs in [plan.answer_after, plan.hangup_after] {
        if !(0.0..=3600.0).contains(&secs) {
            bail!(tr!(lang, "simulate-pause", secs = secs.to_string()));
        }
    }
    let ext = match &plan.extension {
        Some(e) => e.clone(),
        None => config
            .extensions
            .first()
            .cloned()
            .with_context(|| tr!(lang, "simulate-no-extension"))?,
    };
    let number = plan.number.trim();
    if number.is_empty() {
        bail!(tr!(lang, "simulate-no-number"));
    }
    let (caller, callee) = match plan.direction {
        Direction::Incoming => (number, ext.as_str()),
        Direction::Outgoing => (ext.as_str(), number),
    };
    let callid = format!("sim-{}", chrono::Utc::now().timestamp_millis());
    let common: Vec<(&str, &str)> = vec![
        ("callid", &callid),
        ("type", plan.direction.as_str()),
        ("caller", caller),
        ("callee", callee),
    ];
    let base = format!("{}{}", local_base(config), config.listen.prefix());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let send =
        |path: &str, name: &str, extra: &[(&str, &str)], out: &mut dyn Write| -> Result<()> {
            let query: String = form_query(common.iter().chain(extra.iter()));
            let url = format!("{base}{path}?{query}");
            let response = if plan.post {
                agent.post(&url).send_empty()
            } else {
                agent.get(&url).call()
            };
            let mut response = response
                .with_context(|| tr!(lang, "simulate-unreachable", base = local_base(config)))?;
            let status = response.status().as_u16();
            let text = response.body_mut().read_to_string().unwrap_or_default();
            writeln!(out, "{name:<14} {status} {}", text.trim())?;
            if status != 200 {
                bail!(tr!(lang, "simulate-refused", name = name));
            }
            if text.starts_with("ignored") {
                bail!(tr!(lang, "simulate-ignored", extension = &ext));
            }
            Ok(())
        };
    let pause = |secs: f64| std::thread::sleep(Duration::from_secs_f64(secs));

    writeln!(
        out,
        "{}",
        tr!(
            lang,
            "simulate-start",
            direction = plan.direction.as_str(),
            callid = &callid,
            base = local_base(config)
        )
    )?;
    send(&config.listen.initiated_path, "CallInitiated", &[], out)?;
    pause(plan.answer_after);
    if plan.missed {
        pause(plan.hangup_after);
        send(
            &config.listen.ended_path,
            "CallEnded",
            &[("duration", "0")],
            out,
        )?;
    } else {
        send(&config.listen.answered_path, "CallAnswered", &[], out)?;
        pause(plan.hangup_after);
        let duration = plan.hangup_after.round().to_string();
        send(
            &config.listen.ended_path,
            "CallEnded",
            &[("duration", &duration)],
            out,
        )?;
    }
    Ok(())
}

fn form_query<'a>(pairs: impl Iterator<Item = &'a (&'a str, &'a str)>) -> String {
    let mut q = String::new();
    for (name, value) in pairs {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(name);
        q.push('=');
        q.extend(percent_encoding::utf8_percent_encode(
            value,
            percent_encoding::NON_ALPHANUMERIC,
        ));
    }
    q
}
