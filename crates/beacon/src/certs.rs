//! `beacon certs`: mutual TLS between workers and servers without an outside PKI. `init` creates a certificate
//! authority under `<data-dir>/tls` (its key readable by its owner only) and a server certificate it signs;
//! `issue-worker` signs a client certificate for one worker of one region and records its SHA-256 in the
//! database, which is how a server maps a connection's certificate to a worker and its region (and how one is
//! revoked). The CA's certificate is rebuilt from fixed parameters and its key, so issuing needs only the key.

use crate::error::UsageError;
use anyhow::{Context, Result};
use chrono::{Datelike, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const CA_CERT: &str = "ca.pem";
pub const CA_KEY: &str = "ca.key";
pub const SERVER_CERT: &str = "server.pem";
pub const SERVER_KEY: &str = "server.key";

/// The directory of the CA and the server's certificate.
pub fn tls_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tls")
}

/// Write `text` to a new file readable and writable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn write_public(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Valid from the start of today (UTC) for `days` days.
fn validity(params: &mut CertificateParams, days: u32) {
    let from = Utc::now().date_naive();
    let until = from + Duration::days(i64::from(days));
    let ymd = |d: chrono::NaiveDate| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
    params.not_before = ymd(from);
    params.not_after = ymd(until);
}

/// The CA's parameters: the same every time, so that certificates issued later name the CA as it was made.
fn ca_params() -> Result<CertificateParams> {
    let mut p = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
    p.distinguished_name
        .push(DnType::CommonName, "Beacon worker CA");
    p.distinguished_name
        .push(DnType::OrganizationName, "Beacon");
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = rcgen::date_time_ymd(2025, 1, 1);
    p.not_after = rcgen::date_time_ymd(2125, 1, 1);
    Ok(p)
}

fn load_ca(dir: &Path) -> Result<Issuer<'static, KeyPair>> {
    let key_path = dir.join(CA_KEY);
    let pem = std::fs::read_to_string(&key_path).map_err(|e| {
        UsageError(format!(
            "no CA key at {} ({e}): run `beacon certs init` first (with the same --data-dir)",
            key_path.display()
        ))
    })?;
    let key = KeyPair::from_pem(&pem).with_context(|| format!("reading {}", key_path.display()))?;
    Ok(Issuer::new(ca_params()?, key))
}

/// Create the CA and a server certificate for `server_names` under `<data-dir>/tls`; refuses to replace a CA.
pub fn init(data_dir: &Path, server_names: &str) -> Result<Vec<PathBuf>> {
    let dir = tls_dir(data_dir);
    if dir.join(CA_KEY).exists() {
        return Err(UsageError(format!(
            "a CA exists at {} already; certificates it issued would stop working if it were replaced",
            dir.display()
        ))
        .into());
    }
    let names: Vec<String> = server_names
        .split(',')
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err(UsageError("--server-names: name at least one host or address".into()).into());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let ca_cert = ca_params()?
        .self_signed(&ca_key)
        .context("signing the CA certificate")?;
    write_private(&dir.join(CA_KEY), &ca_key.serialize_pem())?;
    write_public(&dir.join(CA_CERT), &ca_cert.pem())?;
    let issuer = Issuer::new(ca_params()?, ca_key);
    let mut p =
        CertificateParams::new(names).map_err(|e| UsageError(format!("--server-names: {e}")))?;
    p.distinguished_name
        .push(DnType::CommonName, "Beacon server");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    validity(&mut p, 825);
    let key = KeyPair::generate().context("generating the server key")?;
    let cert = p
        .signed_by(&key, &issuer)
        .context("signing the server certificate")?;
    write_private(&dir.join(SERVER_KEY), &key.serialize_pem())?;
    write_public(&dir.join(SERVER_CERT), &cert.pem())?;
    Ok([CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY]
        .iter()
        .map(|f| dir.join(f))
        .collect())
}

/// A worker's client certificate as issued: where its files are, its SHA-256 and when it expires.
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub fingerprint: [u8; 32],
    pub expires_at: beacon_core::Millis,
}

/// Sign a client certificate for worker `name` (written to `out`); the caller records it.
pub fn issue_worker(data_dir: &Path, name: &str, out: Option<&Path>, days: u32) -> Result<Issued> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(UsageError(format!(
            "--name {name:?}: use 1-64 of a-z, A-Z, 0-9, '-', '_', '.' (it names the files)"
        ))
        .into());
    }
    if !(1..=3650).contains(&days) {
        return Err(UsageError(format!("--days {days} is outside 1..3650")).into());
    }
    let dir = tls_dir(data_dir);
    let issuer = load_ca(&dir)?;
    let out = out.map_or_else(|| dir.join("workers"), Path::to_path_buf);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let (cert_path, key_path) = (
        out.join(format!("{name}.pem")),
        out.join(format!("{name}.key")),
    );
    if cert_path.exists() || key_path.exists() {
        return Err(UsageError(format!(
            "{} exists: issue under another --name or --out",
            cert_path.display()
        ))
        .into());
    }
    let mut p = CertificateParams::new(Vec::<String>::new()).context("worker parameters")?;
    p.distinguished_name.push(DnType::CommonName, name);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    validity(&mut p, days);
    let key = KeyPair::generate().context("generating the worker key")?;
    let cert = p
        .signed_by(&key, &issuer)
        .context("signing the worker certificate")?;
    write_private(&key_path, &key.serialize_pem())?;
    write_public(&cert_path, &cert.pem())?;
    let expires_at = (Utc::now() + Duration::days(i64::from(days))).timestamp_millis();
    Ok(Issued {
        cert: cert_path,
        key: key_path,
        fingerprint: beacon_core::token::sha256(cert.der()),
        expires_at,
    })
}
