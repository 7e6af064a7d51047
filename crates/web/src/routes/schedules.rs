//! Credit class schedules run by the server: each due run once, even after a restart (the
//! run log remembers which ran).

use arrears_store::Store;

use crate::SCHEDULE_CHECK;

/// Starts checking the schedules every minute, for as long as the server runs.
pub fn start(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run_forever(store))
}

async fn run_forever(store: Store) {
    let mut tick = tokio::time::interval(SCHEDULE_CHECK);
    loop {
        tick.tick().await;
        let now = chrono::Local::now().naive_local();
        match arrears_actions::run_schedules(&store, now, "schedule").await {
            Ok(runs) => {
                for r in runs {
                    tracing::info!(
                        company = %r.company_id,
                        credit_class = %r.credit_class,
                        date = %r.run_date,
                        created = r.created,
                        closed = r.closed,
                        errors = r.errors.len(),
                        "schedule ran"
                    );
                }
            }
            Err(e) => tracing::error!(error = %e, "schedules failed"),
        }
    }
}
