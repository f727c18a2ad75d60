//! `quizbot healthcheck`: asks the running bot's `/healthz` and exits 0
//! when it is healthy, 1 otherwise — for Docker's `HEALTHCHECK`, as the
//! slim image has no curl. It reads only `METRICS_ADDR` (from the
//! environment or `.env`), never the token.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use crate::config::metrics_addr_from_env;

/// How long the check waits for the answer: longer than `/healthz`'s own
/// wait for the database ([`super::HEALTH_DB_LIMIT`]), shorter than
/// Docker's default timeout of 30 s.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the check; prints what `/healthz` said, or why it could not ask.
pub fn run() -> ExitCode {
    let addr = match metrics_addr_from_env() {
        Ok(Some(addr)) if addr.port() != 0 => addr,
        Ok(Some(_)) => return unhealthy("METRICS_ADDR has port 0 (any free port): set the port the bot listens on"),
        Ok(None) => return unhealthy("METRICS_ADDR is not set, so the bot serves no /healthz"),
        Err(e) => return unhealthy(&e.to_string()),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return unhealthy(&format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(ask(reachable(addr))) {
        Ok((200, body)) => {
            println!("{}", body.trim_end());
            ExitCode::SUCCESS
        }
        Ok((status, body)) => {
            println!("/healthz answered {status}: {}", body.trim_end());
            ExitCode::FAILURE
        }
        Err(reason) => unhealthy(&reason),
    }
}

fn unhealthy(reason: &str) -> ExitCode {
    println!("unhealthy: {reason}");
    ExitCode::FAILURE
}

/// GET `/healthz` at `addr`: the status and the body.
async fn ask(addr: SocketAddr) -> Result<(u16, String), String> {
    // No proxy: HTTP_PROXY in the environment must not send a request for
    // this very host elsewhere.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
    let url = format!("http://{addr}/healthz");
    let response = client.get(&url).send().await.map_err(|e| format!("no answer from {url}: {e}"))?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| format!("{url} answered {status} and then failed: {e}"))?;
    Ok((status, body))
}

/// Where to reach a server listening on `addr`: an unspecified address
/// (`0.0.0.0`, `[::]`, every interface) through loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port()),
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interface_is_asked_through_loopback() {
        let reach = |s: &str| reachable(s.parse().unwrap()).to_string();
        assert_eq!(reach("0.0.0.0:9100"), "127.0.0.1:9100");
        assert_eq!(reach("[::]:9100"), "[::1]:9100");
        assert_eq!(reach("10.1.2.3:9100"), "10.1.2.3:9100");
        assert_eq!(reach("127.0.0.1:9100"), "127.0.0.1:9100");
    }
}
