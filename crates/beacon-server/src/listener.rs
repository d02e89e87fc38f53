//! The accept loop of the API listener. `axum::serve` has no header-read timeout and no connection cap, so a
//! client that opens connections and never finishes a request (or idles on a kept-alive one) would hold them
//! forever. Here every connection gets `header_read_timeout` to send a request's headers — counted from the
//! moment the connection opens or its previous response ends, so it also closes idle keep-alive connections —
//! and at most `max_connections` are served at once; a connection above the cap is closed as soon as it is
//! accepted (counted in `beacon_http_connections_refused_total`), so the ones being served keep their pace.
//!
//! With a TLS configuration the listener serves HTTPS itself: the handshake must finish within the same
//! header-read timeout, and a client certificate (mutual TLS; verified against the client CA during the
//! handshake — an expired, self-signed or otherwise untrusted one fails it) reaches handlers as its SHA-256,
//! `ClientCertificate`.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower_service::Service;

/// Limits on the connections the listener keeps.
#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    /// Time a client has to send a request's headers, from connection open or the end of the previous response.
    pub header_read_timeout: Duration,
    /// Connections served at once; more are closed on accept.
    pub max_connections: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// The app as hyper calls it: each request carries the peer's address (axum's `ConnectInfo`; sign-in attempts
/// are limited per address) and the connection's client certificate, if any.
fn service(
    app: Router,
    peer: std::net::SocketAddr,
    client: Option<ClientCertificate>,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        if let Some(c) = client {
            req.extensions_mut().insert(c);
        }
        let mut app = app.clone();
        async move { app.call(req).await }
    })
}

/// The SHA-256 of the (verified) client certificate a TLS connection presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientCertificate(pub [u8; 32]);

/// Serve `app` on `listener` until `shutdown`, then let open requests finish (idle connections are closed).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ListenerLimits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let open = metrics::gauge!("beacon_http_connections_open");
    let refused = metrics::counter!("beacon_http_connections_refused_total");
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait for connections to close instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            refused.increment(1);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        let open = open.clone();
        open.increment(1.0);
        tokio::spawn(async move {
            // Errors here are the client's (reset, malformed request, header or handshake timeout, a refused
            // certificate): nothing to report.
            match acceptor {
                None => {
                    let service = service(app, peer, None);
                    let _ = watcher
                        .watch(builder.serve_connection(TokioIo::new(stream), service))
                        .await;
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream))
                            .await;
                    if let Ok(Ok(tls)) = handshake {
                        let client = tls
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|certs| certs.first())
                            .map(|der| ClientCertificate(beacon_core::token::sha256(der)));
                        let service = service(app, peer, client);
                        let _ = watcher
                            .watch(builder.serve_connection(TokioIo::new(tls), service))
                            .await;
                    }
                }
            }
            open.decrement(1.0);
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
