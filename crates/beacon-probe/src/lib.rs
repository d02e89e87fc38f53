//! Executes checks. `HttpProber` runs one HTTP(S) request over a fresh connection and reports phase timings
//! (DNS, connect, TLS, first byte, total) and a classified failure. It knows nothing of schedules or storage.

mod http;

pub use http::HttpProber;
