//! The event log for admins: the history page with its filters, its export as CSV (every
//! matching event, streamed page by page), and `/api/v1/events`.

use arrears_store::{Event, EventQuery, Store};
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;

use super::accounts::csv_field;
use crate::auth::{Admin, BearerAdmin};
use crate::grid::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::pages::{EventLine, EventLogPage, LogLine, Nav, render, url_encode};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/history", get(page))
        .route("/admin/history.csv", get(export))
        .route("/api/v1/events", get(api_events))
}

/// The newest events the page shows.
const SHOWN: i64 = 200;
/// Events read per round trip of an export.
const EXPORT_BATCH: i64 = 5_000;

/// Which events, as the page, the export and the API are asked: every part optional.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct HistoryQuery {
    #[serde(default)]
    pub company_id: String,
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// A checked query, owning its parts.
#[derive(Clone, Debug, Default)]
struct Wanted {
    company: Option<String>,
    customer: Option<String>,
    entity: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Wanted {
    fn query(&self, after: Option<i64>) -> EventQuery<'_> {
        EventQuery {
            company: self.company.as_deref(),
            customer: self.customer.as_deref(),
            entity: self.entity.as_deref(),
            from: self.from,
            to: self.to,
            after,
        }
    }
}

impl HistoryQuery {
    fn check(&self) -> Result<Wanted, WebError> {
        let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
        let date = |name: &str, t: &str| match t.trim() {
            "" => Ok(None),
            t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    WebError::BadRequest(format!("{name}: expected YYYY-MM-DD, not {t:?}"))
                }),
        };
        let wanted = Wanted {
            company: text(&self.company_id),
            customer: text(&self.customer_id),
            entity: text(&self.entity),
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
        };
        if let (Some(from), Some(to)) = (wanted.from, wanted.to)
            && from > to
        {
            return Err(WebError::BadRequest(format!(
                "from: {from} is after to ({to})"
            )));
        }
        Ok(wanted)
    }

    /// The query string that selects the same events.
    fn link(&self) -> String {
        [
            ("company_id", &self.company_id),
            ("customer_id", &self.customer_id),
            ("entity", &self.entity),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// `page` and `per_page`, checked as every list of the API checks them.
    fn paging(&self) -> Result<(i64, i64), WebError> {
        let number = |name: &str, text: Option<&str>, default: usize| match text.map(str::trim) {
            None | Some("") => Ok(default),
            Some(t) => t.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                WebError::BadRequest(format!("{name}: expected a whole number from 1, not {t:?}"))
            }),
        };
        let page = number("page", self.page.as_deref(), 1)?;
        let per_page = number("per_page", self.per_page.as_deref(), DEFAULT_PER_PAGE)?;
        if per_page > MAX_PER_PAGE {
            return Err(WebError::BadRequest(format!(
                "per_page: at most {MAX_PER_PAGE}, not {per_page}"
            )));
        }
        let per_page = i64::try_from(per_page).unwrap_or(i64::MAX);
        let offset = i64::try_from(page - 1)
            .unwrap_or(i64::MAX)
            .saturating_mul(per_page);
        Ok((offset, per_page))
    }
}

async fn page(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Query(q): Query<HistoryQuery>,
) -> Result<Html<String>, PageError> {
    let (events, total, problem) = match q.check() {
        Ok(wanted) => {
            let query = wanted.query(None);
            let events = app.store.events_page(&query, 0, SHOWN, true).await?;
            (events, app.store.event_count(&query).await?, None)
        }
        Err(e) => (Vec::new(), 0, Some(e.to_string())),
    };
    render(&EventLogPage {
        nav: Nav::new(&caller, "admin"),
        export: q.link(),
        lines: events.iter().map(log_line).collect(),
        total,
        problem,
        query: q,
    })
}

fn log_line(e: &Event) -> LogLine {
    LogLine {
        event_id: e.event_id,
        business_date: e.business_date,
        company_id: e.company_id.clone().unwrap_or_default(),
        customer_id: e.customer_id.clone().unwrap_or_default(),
        line: EventLine::new(e),
    }
}

const CSV_COLUMNS: [&str; 11] = [
    "event_id",
    "at",
    "business_date",
    "user_id",
    "company_id",
    "customer_id",
    "entity",
    "entity_id",
    "action",
    "before",
    "after",
];

fn csv_line(e: &Event, out: &mut String) {
    let text = |t: &Option<String>| csv_field(t.as_deref().unwrap_or_default());
    let fields = [
        e.event_id.to_string(),
        csv_field(&e.at.to_rfc3339()),
        e.business_date.to_string(),
        csv_field(&e.user_id),
        text(&e.company_id),
        text(&e.customer_id),
        csv_field(&e.entity),
        csv_field(&e.entity_id),
        csv_field(&e.action),
        text(&e.before),
        text(&e.after),
    ];
    out.push_str(&fields.join(","));
    out.push('\n');
}

/// Every event the query selects, oldest first, as CSV: read and sent a batch at a time, so
/// that a log of millions of events never sits in memory whole.
async fn export(
    State(app): State<AppState>,
    Admin(_caller): Admin,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, PageError> {
    let wanted = q.check()?;
    let header_line = format!("{}\n", CSV_COLUMNS.join(","));
    let first = futures_util::stream::once(async move { Ok::<_, WebError>(header_line) });
    let rest = futures_util::stream::try_unfold(
        (app.store.clone(), wanted, Some(0_i64)),
        |(store, wanted, after): (Store, Wanted, Option<i64>)| async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let batch = store
                .events_page(&wanted.query(Some(after)), 0, EXPORT_BATCH, false)
                .await?;
            let mut out = String::new();
            for e in &batch {
                csv_line(e, &mut out);
            }
            let next = match batch.last() {
                Some(last) if batch.len() as i64 == EXPORT_BATCH => Some(last.event_id),
                _ => None,
            };
            if out.is_empty() {
                return Ok(None);
            }
            Ok::<_, WebError>(Some((out, (store, wanted, next))))
        },
    );
    use futures_util::StreamExt as _;
    let body = Body::from_stream(first.chain(rest));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"history.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// A page of the event log, oldest first: `{"items": [...], "total": N}`.
async fn api_events(
    State(app): State<AppState>,
    BearerAdmin(_caller): BearerAdmin,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let wanted = q.check()?;
    let (offset, limit) = q.paging()?;
    let query = wanted.query(None);
    let items = app.store.events_page(&query, offset, limit, false).await?;
    let total = app.store.event_count(&query).await?;
    Ok(Json(serde_json::json!({ "items": items, "total": total })))
}
