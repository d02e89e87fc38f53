//! The DNS check: one query for the check's name and record type to the server it names (or the first
//! `nameserver` of /etc/resolv.conf), over UDP — over TCP when the answer is truncated —, timed; the answer's
//! response code and records are judged and observed.

use crate::net::{Failure, Run, judge, limit, micros};
use beacon_core::check::{DnsSpec, RecordType};
use beacon_core::condition::{Condition, Observed, Placeholder};
use beacon_core::ping::ErrorKind;
use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType as Rt};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// Runs DNS checks. Cheap to clone.
#[derive(Clone, Default)]
pub struct DnsProber {
    /// Where to read the system's resolver from.
    pub(crate) resolv_conf: Option<std::path::PathBuf>,
}

/// The response code as DNS tools print it.
pub fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::NXDomain => "NXDOMAIN".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        other => format!("RCODE{}", u16::from(other)),
    }
}

fn wire_type(t: RecordType) -> Rt {
    match t {
        RecordType::A => Rt::A,
        RecordType::Aaaa => Rt::AAAA,
        RecordType::Cname => Rt::CNAME,
        RecordType::Mx => Rt::MX,
        RecordType::Txt => Rt::TXT,
        RecordType::Ns => Rt::NS,
        RecordType::Soa => Rt::SOA,
    }
}

/// Two answers are the same when they differ only in case or a final dot.
fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

impl DnsProber {
    pub async fn attempt(
        &self,
        spec: &DnsSpec,
        conditions: &[Condition],
        timeout_ms: u32,
    ) -> crate::Tried {
        let mut r = Run::new();
        let outcome =
            tokio::time::timeout(limit(timeout_ms), self.run(spec, conditions, &mut r)).await;
        r.finish(outcome, timeout_ms, "DNS answer")
    }

    /// The server to ask: the check's (its name resolved by the system), or the system's first nameserver.
    async fn server(&self, spec: &DnsSpec) -> Result<SocketAddr, Failure> {
        if let Some(s) = &spec.server {
            if let Some(ip) = s.ip() {
                return Ok(SocketAddr::new(ip, s.port));
            }
            return tokio::net::lookup_host((s.host.as_str(), s.port))
                .await
                .ok()
                .and_then(|mut a| a.next())
                .ok_or_else(|| {
                    (
                        ErrorKind::Dns,
                        format!("cannot resolve the DNS server {}", s.host),
                    )
                });
        }
        let path = self
            .resolv_conf
            .clone()
            .unwrap_or_else(|| "/etc/resolv.conf".into());
        let conf = tokio::fs::read_to_string(&path).await.unwrap_or_default();
        conf.lines()
            .filter_map(|l| l.trim().strip_prefix("nameserver"))
            .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, 53))
            .next()
            .ok_or_else(|| {
                (
                    ErrorKind::Dns,
                    format!(
                        "{} names no nameserver; give the check a DNS server",
                        path.display()
                    ),
                )
            })
    }

    async fn run(
        &self,
        spec: &DnsSpec,
        conditions: &[Condition],
        r: &mut Run,
    ) -> Result<(), Failure> {
        let server = self.server(spec).await?;
        let name = Name::from_ascii(&spec.name)
            .map_err(|e| (ErrorKind::Other, format!("{}: {e}", spec.name)))?;
        let mut query = Message::query();
        query.metadata.recursion_desired = true;
        query.add_query(Query::query(name, wire_type(spec.record_type)));
        let bytes = query
            .to_vec()
            .map_err(|e| (ErrorKind::Other, format!("cannot encode the query: {e}")))?;
        let t = Instant::now();
        let mut answer = udp(server, &bytes, query.metadata.id).await?;
        if answer.metadata.truncation {
            answer = tcp(server, &bytes, query.metadata.id).await?;
        }
        r.timings.dns_us = Some(micros(t.elapsed()));
        let rcode = rcode_name(answer.metadata.response_code);
        let wanted = wire_type(spec.record_type);
        let records: Vec<&RData> = answer
            .answers
            .iter()
            .filter(|r| r.record_type() == wanted)
            .map(|r| &r.data)
            .collect();
        let texts: Vec<String> = records.iter().map(|d| d.to_string()).collect();
        r.details.rcode = Some(rcode.clone());
        r.details.answers.clone_from(&texts);
        // A condition on [DNS_RCODE] decides what answer is right (e.g. NXDOMAIN for a name that must not exist).
        if !crate::net::reads(conditions, Placeholder::DnsRcode) {
            if answer.metadata.response_code != ResponseCode::NoError {
                return Err((
                    ErrorKind::Dns,
                    format!(
                        "{server} answered {rcode} for {} {}",
                        spec.record_type.as_str(),
                        spec.name
                    ),
                ));
            }
            if texts.is_empty() {
                return Err((
                    ErrorKind::Dns,
                    format!(
                        "{server} has no {} record for {}",
                        spec.record_type.as_str(),
                        spec.name
                    ),
                ));
            }
        }
        if let Some(missing) = spec
            .expect
            .iter()
            .find(|e| !texts.iter().any(|t| same(t, e)))
        {
            return Err((
                ErrorKind::Body,
                format!(
                    "expected {missing:?} among the answers, got {}",
                    quoted(&texts)
                ),
            ));
        }
        let ip = records.iter().find_map(|d| match d {
            RData::A(a) => Some(IpAddr::V4(a.0).to_string()),
            RData::AAAA(a) => Some(IpAddr::V6(a.0).to_string()),
            _ => None,
        });
        let body = texts.join("\n");
        let observed = Observed {
            response_time_ms: Some(r.start.elapsed().as_secs_f64() * 1000.0),
            dns_rcode: Some(&rcode),
            ip,
            ..Observed::default()
        }
        .with_body(&body, false);
        judge(conditions, &observed, &mut r.outcomes)
    }
}

fn quoted(texts: &[String]) -> String {
    if texts.is_empty() {
        return "none".to_owned();
    }
    texts
        .iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Send the query over UDP and wait for the answer with its id from that server (others are dropped).
async fn udp(server: SocketAddr, query: &[u8], id: u16) -> Result<Message, Failure> {
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| (ErrorKind::Other, format!("cannot open a UDP socket: {e}")))?;
    socket
        .send_to(query, server)
        .await
        .map_err(|e| (ErrorKind::Connect, format!("cannot send to {server}: {e}")))?;
    let mut buf = vec![0; 4096];
    loop {
        let (n, from) = socket
            .recv_from(&mut buf)
            .await
            .map_err(|e| (ErrorKind::Connect, format!("no answer from {server}: {e}")))?;
        if from != server {
            continue;
        }
        match Message::from_vec(&buf[..n]) {
            Ok(m) if m.metadata.id == id => return Ok(m),
            Ok(_) => continue,
            Err(e) => {
                return Err((
                    ErrorKind::Dns,
                    format!("{server} sent a malformed answer: {e}"),
                ));
            }
        }
    }
}

/// The same query over TCP (two-byte length prefixes), for answers too long for UDP.
async fn tcp(server: SocketAddr, query: &[u8], id: u16) -> Result<Message, Failure> {
    let io = |e: std::io::Error| (ErrorKind::Connect, format!("DNS over TCP to {server}: {e}"));
    let mut s = TcpStream::connect(server).await.map_err(io)?;
    let len =
        u16::try_from(query.len()).map_err(|_| (ErrorKind::Other, "query too long".to_owned()))?;
    s.write_all(&len.to_be_bytes()).await.map_err(io)?;
    s.write_all(query).await.map_err(io)?;
    let n = usize::from(s.read_u16().await.map_err(io)?);
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).await.map_err(io)?;
    match Message::from_vec(&buf) {
        Ok(m) if m.metadata.id == id => Ok(m),
        Ok(_) => Err((ErrorKind::Dns, format!("{server} answered another query"))),
        Err(e) => Err((
            ErrorKind::Dns,
            format!("{server} sent a malformed answer: {e}"),
        )),
    }
}
