//! `GET /metrics`: Prometheus' text format, for operators (not in the API document). Off
//! unless `server.metrics_token` is set; then a scrape must send it as a bearer token.
//!
//! Counted as it happens: requests and their latency per route, method and status; database
//! pool waits and SQLite's write batches (`DbMetrics`). Read at each scrape: the outboxes by
//! state, chats waiting per chat account, open event streams, the pool's connections. And the
//! process' own figures (CPU, memory, open files, threads, start time).

use std::future::Future;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use prometheus::{
    exponential_buckets, Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use subtle::ConstantTimeEq;

use crate::config::Settings;
use crate::db::{Db, DbMetrics};
use crate::error::ApiError;
use crate::services::events::Events;
use crate::services::monitoring;

pub const PATH: &str = "/metrics";

/// One instance's metrics, in a registry of its own.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    deliveries: IntGaugeVec,
    mails: IntGaugeVec,
    waiting: IntGaugeVec,
    streams: IntGauge,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    /// What the retention job did: `customers_purged`, `tickets_closed`.
    pub retention: IntCounterVec,
}

impl Metrics {
    /// The instance's metrics, and the database's share of them (for `Db::with_metrics`).
    pub fn new() -> prometheus::Result<(Metrics, DbMetrics)> {
        let registry = Registry::new();
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        let requests = IntCounterVec::new(
            Opts::new("omnibridge_http_requests_total", "Requests answered."),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "omnibridge_http_request_duration_seconds",
                "From the request's head to its answer's head.",
            )
            .buckets(exponential_buckets(0.000_25, 2.0, 16)?),
            &["route", "method"],
        )?;
        let deliveries = IntGaugeVec::new(
            Opts::new(
                "omnibridge_deliveries",
                "Calls to chat servers (replies, files, typing) by state.",
            ),
            &["state"],
        )?;
        let mails = IntGaugeVec::new(
            Opts::new("omnibridge_mails", "Mails in the outbox by state."),
            &["state"],
        )?;
        let waiting = IntGaugeVec::new(
            Opts::new(
                "omnibridge_chats_waiting",
                "Chats waiting for an agent, per chat account.",
            ),
            &["chat_account"],
        )?;
        let streams = IntGauge::new(
            "omnibridge_event_streams_open",
            "Agents' event streams open on this instance.",
        )?;
        let pool_connections = IntGauge::new(
            "omnibridge_db_pool_connections",
            "Database connections the pool holds.",
        )?;
        let pool_idle = IntGauge::new(
            "omnibridge_db_pool_idle_connections",
            "Pooled connections not in use.",
        )?;
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(deliveries.clone()),
            Box::new(mails.clone()),
            Box::new(waiting.clone()),
            Box::new(streams.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_idle.clone()),
        ] {
            registry.register(metric)?;
        }
        let retention = IntCounterVec::new(
            Opts::new(
                "omnibridge_retention_total",
                "What this instance's retention job did: customers purged, tickets closed.",
            ),
            &["what"],
        )?;
        registry.register(Box::new(retention.clone()))?;
        let db = DbMetrics::register(&registry)?;
        let metrics = Metrics {
            registry,
            requests,
            latency,
            deliveries,
            mails,
            waiting,
            streams,
            pool_connections,
            pool_idle,
            retention,
        };
        Ok((metrics, db))
    }

    /// Counts a request and its latency, labelled by the route's pattern (`/api/v2/ticket/{id}`)
    /// so that ids never make new series; a path no route takes is `unmatched`.
    pub fn measure<S, B>(
        &self,
        req: ServiceRequest,
        service: &S,
    ) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + 'static
    where
        S: actix_web::dev::Service<
            ServiceRequest,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >,
        S::Future: 'static,
        B: MessageBody,
    {
        let started = Instant::now();
        let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
        let method = req.method().as_str().to_owned();
        let answer = service.call(req);
        let metrics = self.clone();
        async move {
            let response = answer.await;
            let status = match &response {
                Ok(r) => r.status(),
                Err(e) => e.as_response_error().status_code(),
            };
            metrics
                .requests
                .with_label_values(&[route.as_str(), method.as_str(), status.as_str()])
                .inc();
            metrics
                .latency
                .with_label_values(&[route.as_str(), method.as_str()])
                .observe(started.elapsed().as_secs_f64());
            response
        }
    }
}

/// The scrape: the bearer token checked in constant time, the figures read now, everything
/// in Prometheus' text format.
pub async fn scrape(
    req: HttpRequest,
    metrics: web::Data<Metrics>,
    db: web::Data<Db>,
    events: web::Data<Events>,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let token = settings.server.metrics_token.as_bytes();
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if token.is_empty() || !bool::from(given.as_bytes().ct_eq(token)) {
        return ApiError::Unauthorized.error_response();
    }
    match monitoring::counts(&db).await {
        Ok(counts) => {
            // Reset first: a state or an account with none left drops out rather than keep
            // its last count.
            for (gauge, rows) in [
                (&metrics.deliveries, &counts.deliveries),
                (&metrics.mails, &counts.mails),
            ] {
                gauge.reset();
                for (state, n) in rows {
                    gauge.with_label_values(&[state.as_str()]).set(*n);
                }
            }
            metrics.waiting.reset();
            for (account, n) in &counts.waiting {
                metrics
                    .waiting
                    .with_label_values(&[account.to_string().as_str()])
                    .set(*n);
            }
        }
        Err(e) => log::warn!("metrics: the database's counts are unavailable: {e}"),
    }
    metrics.streams.set(events.open_streams() as i64);
    let (connections, idle) = db.pool_state();
    metrics.pool_connections.set(connections.into());
    metrics.pool_idle.set(idle.into());
    let mut body = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(e) = encoder.encode(&metrics.registry.gather(), &mut body) {
        return ApiError::Internal(format!("metrics: {e}")).error_response();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, encoder.format_type()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}
