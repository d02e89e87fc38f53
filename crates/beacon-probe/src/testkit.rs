//! Real servers on 127.0.0.1 for tests of checks (feature `testkit`): a DNS server answering a fixed zone over
//! UDP and TCP, TLS servers presenting certificates made for the case (valid, expiring soon, expired, for
//! another name, self-signed) as a TCP echo or as HTTPS over HTTP/1.1 or HTTP/2, and TCP servers (a greeter,
//! one that never answers). They run until the test's
//! runtime ends.

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, MX, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// The answer of the test zone for a name and type: its records, or a response code.
fn zone(name: &str, t: RecordType) -> Option<Result<Vec<RData>, ResponseCode>> {
    let n = |s: &str| Name::from_ascii(s).expect("name");
    Some(match (name, t) {
        ("ok.test.", RecordType::A) => Ok(vec![
            RData::A(A(Ipv4Addr::new(10, 0, 0, 1))),
            RData::A(A(Ipv4Addr::new(10, 0, 0, 2))),
        ]),
        ("ok.test.", RecordType::AAAA) => Ok(vec![RData::AAAA(AAAA(Ipv6Addr::LOCALHOST))]),
        ("ok.test.", RecordType::MX) => Ok(vec![RData::MX(MX::new(10, n("mail.ok.test.")))]),
        ("ok.test.", RecordType::TXT) => Ok(vec![RData::TXT(TXT::new(vec!["v=spf1 -all".into()]))]),
        ("ok.test.", _) => Ok(vec![]),
        // More addresses than fit in 512 bytes: the UDP answer is truncated, the TCP one whole.
        ("big.test.", RecordType::A) => Ok((1..=60)
            .map(|i| RData::A(A(Ipv4Addr::new(10, 1, 0, i))))
            .collect()),
        ("missing.test.", _) => Err(ResponseCode::NXDomain),
        ("broken.test.", _) => Err(ResponseCode::ServFail),
        // No answer at all: the check times out.
        ("slow.test.", _) => return None,
        _ => Err(ResponseCode::NXDomain),
    })
}

/// The answer to a query message, or `None` to stay silent; `udp` truncates long answers.
fn answer(query: &[u8], udp: bool) -> Option<Vec<u8>> {
    let q = Message::from_vec(query).ok()?;
    let question = q.queries.first()?.clone();
    let name = question.name().to_ascii().to_ascii_lowercase();
    let result = zone(&name, question.query_type())?;
    let mut m = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
    m.metadata.recursion_desired = q.metadata.recursion_desired;
    m.metadata.recursion_available = true;
    m.add_query(question.clone());
    match result {
        Ok(records) if udp && records.len() > 20 => m.metadata.truncation = true,
        Ok(records) => {
            for r in records {
                m.add_answer(Record::from_rdata(question.name().clone(), 60, r));
            }
        }
        Err(code) => m.metadata.response_code = code,
    }
    m.to_vec().ok()
}

/// A DNS server for the test zone (`ok.test` A/AAAA/MX/TXT, `big.test` (truncated over UDP), `missing.test`
/// NXDOMAIN, `broken.test` SERVFAIL, `slow.test` silent), on one port over UDP and TCP.
pub async fn dns_server() -> SocketAddr {
    // A free UDP port whose TCP twin is free too (another test may hold it): try again until both bind.
    let mut tries = 0;
    let (udp, tcp, addr) = loop {
        let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
        let addr = udp.local_addr().expect("addr");
        match TcpListener::bind(addr).await {
            Ok(tcp) => break (udp, tcp, addr),
            Err(_) if tries < 50 => tries += 1,
            Err(e) => panic!("no port free for both UDP and TCP: {e}"),
        }
    };
    tokio::spawn(async move {
        let mut buf = vec![0; 4096];
        while let Ok((n, from)) = udp.recv_from(&mut buf).await {
            if let Some(a) = answer(&buf[..n], true) {
                let _ = udp.send_to(&a, from).await;
            }
        }
    });
    tokio::spawn(async move {
        while let Ok((mut s, _)) = tcp.accept().await {
            tokio::spawn(async move {
                let Ok(len) = s.read_u16().await else { return };
                let mut q = vec![0; usize::from(len)];
                if s.read_exact(&mut q).await.is_err() {
                    return;
                }
                if let Some(a) = answer(&q, false) {
                    let _ = s.write_all(&(a.len() as u16).to_be_bytes()).await;
                    let _ = s.write_all(&a).await;
                }
            });
        }
    });
    addr
}

/// The certificate a TLS test server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cert {
    /// Signed by the test CA for `localhost` and 127.0.0.1, valid for this many more days.
    Valid { days: u64 },
    /// Signed by the test CA, expired two days ago.
    Expired,
    /// Signed by the test CA, for `other.test` only.
    WrongName,
    /// Signed by itself.
    SelfSigned,
}

/// The test CA: its certificate (PEM, for a prober to trust) and an issuer to sign with.
pub struct TestCa {
    pub pem: String,
    pub der: rustls::pki_types::CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new() -> Self {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Beacon test CA");
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa {
            pem: cert.pem(),
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// Roots trusting only this CA.
    pub fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.der.clone()).expect("root");
        roots
    }

    /// A TLS server on 127.0.0.1 presenting `cert`; after the handshake it writes `greeting` and echoes what it
    /// reads. Its port.
    pub async fn serve(&self, cert: Cert, greeting: &'static str) -> u16 {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(self.server_config(cert, &[])));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let _ = tls.write_all(greeting.as_bytes()).await;
                        let mut buf = vec![0; 1024];
                        while let Ok(n) = tls.read(&mut buf).await {
                            if n == 0 || tls.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                });
            }
        });
        port
    }

    /// An HTTPS server on 127.0.0.1 presenting `cert` and offering `alpn` (e.g. `h2`, `http/1.1`): it speaks
    /// HTTP/2 when ALPN chose `h2`, HTTP/1.1 otherwise, and answers every request `200` with the body
    /// `over HTTP/2` (or `over HTTP/1.1`). Its port.
    pub async fn serve_https(&self, cert: Cert, alpn: &[&[u8]]) -> u16 {
        use hyper::service::service_fn;
        use hyper_util::rt::{TokioExecutor, TokioIo};
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(self.server_config(cert, alpn)));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let answer = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
            let body = format!("over {:?}", req.version()).replace(".0", "");
            Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(
                bytes::Bytes::from(body),
            )))
        });
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                // As real servers do: without it Nagle holds HTTP/2's small frames for the client's delayed ACK.
                let _ = tcp.set_nodelay(true);
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                    let io = TokioIo::new(tls);
                    if h2 {
                        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                            .serve_connection(io, answer)
                            .await;
                    } else {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, answer)
                            .await;
                    }
                });
            }
        });
        port
    }

    /// A server configuration presenting a certificate of the kind `cert` (for `localhost` and 127.0.0.1
    /// unless `WrongName`), offering the `alpn` protocols.
    fn server_config(&self, cert: Cert, alpn: &[&[u8]]) -> rustls::ServerConfig {
        let epoch = rcgen::date_time_ymd(1970, 1, 1);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let day = 86_400;
        let names = match cert {
            Cert::WrongName => vec!["other.test".to_owned()],
            _ => vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
        };
        let mut params = CertificateParams::new(names.clone()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, names[0].as_str());
        params.not_before = epoch + Duration::from_secs(now - 30 * day);
        params.not_after = match cert {
            // An hour more than the days: "expires in N days" reads N.
            Cert::Valid { days } => epoch + Duration::from_secs(now + days * day + 3_600),
            Cert::Expired => epoch + Duration::from_secs(now - 2 * day),
            _ => epoch + Duration::from_secs(now + 365 * day),
        };
        let key = KeyPair::generate().expect("key");
        let signed = match cert {
            Cert::SelfSigned => params.self_signed(&key),
            _ => params.signed_by(&key, &self.issuer),
        }
        .expect("certificate");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![signed.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("server config");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// A TCP server on 127.0.0.1 that greets each connection with `greeting` and answers `PING\r\n` with
/// `PONG\r\n`. Its port.
pub async fn tcp_greeter(greeting: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = s.write_all(greeting.as_bytes()).await;
                let mut buf = vec![0; 1024];
                let mut seen = Vec::new();
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if seen.windows(6).any(|w| w == b"PING\r\n") {
                        let _ = s.write_all(b"PONG\r\n").await;
                        seen.clear();
                    }
                }
            });
        }
    });
    port
}

/// A TCP server on 127.0.0.1 that accepts connections and never says a word. Its port.
pub async fn tcp_silent() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    port
}

/// A port on 127.0.0.1 where nothing listens.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A listener on 127.0.0.1 that never accepts, its queue already full of connections, so a new connection's
/// handshake is not answered (the kernel drops the SYN): a server too slow to accept. Its port; it lasts as long
/// as the returned guard.
pub async fn tcp_full() -> (u16, impl Sized) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let listener = socket.listen(1).expect("listen");
    let addr = listener.local_addr().expect("addr");
    let mut fillers = Vec::new();
    // Linux queues backlog + 1 finished handshakes; then it drops new SYNs.
    while fillers.len() < 8 {
        match tokio::time::timeout(
            Duration::from_millis(300),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => fillers.push(s),
            _ => break,
        }
    }
    (addr.port(), (listener, fillers))
}
