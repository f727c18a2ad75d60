//! The operations endpoint, for whoever runs the bot: `/metrics` in the
//! Prometheus text format and `/healthz` for a supervisor. Off unless
//! `METRICS_ADDR` is set; then [`install`] puts the Prometheus recorder
//! behind the `metrics` facade (every layer records through it, as it logs
//! through `tracing`; [`crate::measures`] lists what) and [`Endpoint`] serves it.
//!
//! - `GET /metrics`: every metric of [`crate::measures`], rendered on request.
//!   Histograms have buckets (`_bucket` lines), not quantiles: a quantile
//!   of one process cannot be added up across processes, buckets can.
//! - `GET /healthz`: `200 ok` while the database answers within
//!   [`HEALTH_DB_LIMIT`] and every gateway shard of this process is
//!   connected; otherwise `503` and why, in one line ([`health`]).
//! - anything else: `404`.
//!
//! [`healthcheck`] is the other side: `quizbot healthcheck` asks
//! `/healthz`, for a container's health check.
//!
//! Why it should cost the interactions nothing measurable: a record is a
//! lookup in the recorder's sharded map (a hash and a read lock) and an
//! atomic add or a push onto a lock-free list, well under a microsecond
//! against budgets in milliseconds; the rendering, the
//! upkeep that folds histogram samples into buckets, and the database ping
//! run here, on their own tasks. The server is hyper's HTTP/1 connection
//! with one request per connection (a scrape is one request every few
//! seconds), at most [`MAX_CONNECTIONS`] at once, each cut off after
//! [`CONNECTION_LIMIT`], so a stuck client cannot hold it.
//!
//! The address should be loopback or a private network: what it shows is
//! counts and timings, no ids, names or secrets, but it is not
//! authenticated.

pub mod health;
pub mod healthcheck;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::measures as names;
use crate::measures::ShardStatus;
use crate::service::{Services, Stopping};
use health::{Database, Verdict};

/// How long `/healthz` waits for the database's answer: a database slower
/// than this to say `SELECT 1` is not answering members in time either
/// (Discord waits 3 s for an answer).
pub const HEALTH_DB_LIMIT: Duration = Duration::from_secs(1);

/// Connections served at once; more are closed at once. A scraper and a
/// health check need one each.
const MAX_CONNECTIONS: usize = 16;

/// The longest one connection is served, request and answer together.
const CONNECTION_LIMIT: Duration = Duration::from_secs(10);

/// How often histogram samples are folded into their buckets when nobody
/// scrapes (a scrape folds them too). The recorder keeps raw samples until
/// then: at 500 clicks a second, 5 s of them is 20 KB.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Interaction latencies and the writer's times: from a fraction of a
/// millisecond (a Reveal, a commit) through the 10 ms budget to Discord's
/// 3 s deadline and past it.
const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0];

/// Due → posted: a post on time takes under a second; one retried after
/// a failure a minute; one held by a long rate limit or a restart, more.
const LAG_BUCKETS: &[f64] = &[0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0];

/// Writes per batch, up to the writer's 256.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("METRICS_ADDR: cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("cannot install the metrics recorder: {0}")]
    Recorder(String),
}

/// Installs the Prometheus recorder for the whole process, with the
/// buckets above, and describes every metric. Once per process.
pub fn install() -> Result<PrometheusHandle, OpsError> {
    let bucket_error = |e: metrics_exporter_prometheus::BuildError| OpsError::Recorder(e.to_string());
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
        .map_err(bucket_error)?
        .set_buckets_for_metric(Matcher::Full(names::SCHEDULER_LAG_SECONDS.into()), LAG_BUCKETS)
        .map_err(bucket_error)?
        .set_buckets_for_metric(Matcher::Full(names::WRITER_BATCH_SIZE.into()), BATCH_BUCKETS)
        .map_err(bucket_error)?
        .install_recorder()
        .map_err(|e| OpsError::Recorder(e.to_string()))?;
    describe();
    Ok(handle)
}

/// Help texts, and the counters at zero, so that a dashboard sees every
/// series from the start and `rate()` counts the first increment.
fn describe() {
    use metrics::{counter, describe_counter, describe_gauge, describe_histogram, Unit};
    use names::*;
    describe_histogram!(
        INTERACTION_SECONDS,
        Unit::Seconds,
        "From an interaction reaching the bot to Discord accepting its first answer, by kind"
    );
    describe_counter!(INTERACTIONS_TOTAL, "Interactions handled, by kind and outcome (answered, failed, late)");
    describe_histogram!(WRITER_BATCH_SIZE, Unit::Count, "Writes per transaction of the SQLite writer");
    describe_histogram!(WRITER_COMMIT_SECONDS, Unit::Seconds, "The SQLite writer's COMMIT, the fsync a batch shares");
    describe_histogram!(WRITER_BATCH_SECONDS, Unit::Seconds, "A SQLite writer batch from BEGIN to committed");
    describe_histogram!(
        SCHEDULER_LAG_SECONDS,
        Unit::Seconds,
        "From a scheduled message's due time to Discord accepting it, by kind"
    );
    describe_counter!(
        POSTS_TOTAL,
        "Scheduled messages Discord accepted, by kind; posts per minute: rate(quizbot_posts_total[1m]) * 60"
    );
    describe_counter!(RATE_LIMITED_TOTAL, "429 answers to the scheduler's requests");
    describe_counter!(DATABASE_ERRORS_TOTAL, "Errors the database driver returned, by class");
    describe_gauge!(SHARDS_CONNECTED, "Gateway shards of this process connected now");
    describe_gauge!(SHARDS_EXPECTED, "Gateway shards this process runs (0 until the first is ready)");
    for kind in kind::ALL {
        for outcome in outcome::ALL {
            counter!(INTERACTIONS_TOTAL, "kind" => kind, "outcome" => outcome).absolute(0);
        }
    }
    for kind in scheduled::ALL {
        counter!(POSTS_TOTAL, "kind" => kind).absolute(0);
    }
    for global in ["true", "false"] {
        counter!(RATE_LIMITED_TOTAL, "global" => global).absolute(0);
    }
    for class in db_error::ALL {
        counter!(DATABASE_ERRORS_TOTAL, "class" => class).absolute(0);
    }
}

/// The endpoint's socket, bound at start (so a taken port fails the start
/// at once, not after the database and Discord were reached).
pub struct Endpoint {
    listener: TcpListener,
    metrics: PrometheusHandle,
}

impl Endpoint {
    /// Binds `addr` (port 0: any free port; [`Endpoint::local_addr`] says
    /// which).
    pub async fn bind(addr: SocketAddr, metrics: PrometheusHandle) -> Result<Endpoint, OpsError> {
        let listener = TcpListener::bind(addr).await.map_err(|e| OpsError::Bind { addr, reason: e.to_string() })?;
        Ok(Endpoint { listener, metrics })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `stopping` is set; the composition root stops it after
    /// the background tasks, before the database closes.
    pub fn serve(self, services: Services, shards: ShardStatus, stopping: Stopping) -> JoinHandle<()> {
        let address = self.local_addr().map_or_else(|| "?".to_string(), |a| a.to_string());
        info!(%address, "metrics and health endpoint listening (GET /metrics, GET /healthz)");
        let state = Arc::new(State { metrics: self.metrics, services, shards });
        tokio::spawn(accept(self.listener, state, stopping))
    }
}

/// What a request may read.
struct State {
    metrics: PrometheusHandle,
    services: Services,
    shards: ShardStatus,
}

async fn accept(listener: TcpListener, state: Arc<State>, mut stopping: Stopping) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut upkeep = tokio::time::interval(UPKEEP_EVERY);
    upkeep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: back off briefly.
                    warn!(error = %e, "the metrics endpoint could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = upkeep.tick() => {
                state.metrics.run_upkeep();
                continue;
            }
            () = stopping.wait() => break,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            debug!("the metrics endpoint is at its connection limit; closing a new one");
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(respond(&state, &request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            match tokio::time::timeout(CONNECTION_LIMIT, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => debug!(error = %e, "a metrics endpoint connection failed"),
                Err(_) => debug!("a metrics endpoint connection took too long; closed"),
            }
            drop(slot);
        });
    }
    debug!("metrics and health endpoint stopped");
}

async fn respond(state: &State, request: &Request<Incoming>) -> Response<String> {
    let path = request.uri().path();
    if !matches!(path, "/metrics" | "/healthz") {
        return text(StatusCode::NOT_FOUND, "not found: GET /metrics or /healthz\n".into());
    }
    if request.method() != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".into());
    }
    if path == "/metrics" {
        let (connected, expected) = state.shards.get();
        metrics::gauge!(names::SHARDS_CONNECTED).set(connected);
        metrics::gauge!(names::SHARDS_EXPECTED).set(expected);
        let mut response = text(StatusCode::OK, state.metrics.render());
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
        return response;
    }
    let database = match tokio::time::timeout(HEALTH_DB_LIMIT, state.services.ping_database()).await {
        Ok(Ok(())) => Database::Answered,
        Ok(Err(e)) => Database::Failed(e.to_string()),
        Err(_) => Database::Silent(HEALTH_DB_LIMIT),
    };
    match health::verdict(&database, state.shards.get()) {
        Verdict::Healthy => text(StatusCode::OK, "ok\n".into()),
        Verdict::Unhealthy(reason) => {
            debug!(%reason, "unhealthy");
            text(StatusCode::SERVICE_UNAVAILABLE, format!("unhealthy: {reason}\n"))
        }
    }
}

fn text(status: StatusCode, body: String) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
