//! `make bench`: the routing simulation — 10,000 payments, one account failing 30 % of its
//! requests, one healthy — with routing on vs off, side by side, for two account layouts.

use std::time::Instant;

use paydesk_core::config::RoutingSettings;
use paydesk_core::routing::simulation::{run, Layout, Report, Scenario};

fn pct(r: &Report) -> String {
    let p = r.paid_permille();
    format!("{}.{} %", p / 10, p % 10)
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for layout in [Layout::FlakyPrimary, Layout::EqualPriority] {
        let s = Scenario::new(layout);
        let t = Instant::now();
        let on = rt.block_on(run(&s, RoutingSettings::default())).expect("routing on");
        let off = rt.block_on(run(&s, RoutingSettings::off())).expect("routing off");
        let what = match layout {
            Layout::FlakyPrimary => "failing account is the primary (priority 1), healthy one the backup (priority 2)",
            Layout::EqualPriority => "both accounts at priority 1, equal weight (round-robin)",
        };
        println!("{} payments ({}% barcode), {what}; the failing account fails {}% of all its requests", s.payments, s.barcode_pct, s.fail_permille / 10);
        println!("  {:<34} {:>12} {:>12}", "", "routing off", "routing on");
        let row = |k: &str, a: String, b: String| println!("  {k:<34} {a:>12} {b:>12}");
        row("paid", pct(&off), pct(&on));
        row("paid sales", off.paid.to_string(), on.paid.to_string());
        row("barcode unresolved at the till", off.unresolved.to_string(), on.unresolved.to_string());
        row("sales moved to the other account", off.fallbacks.to_string(), on.fallbacks.to_string());
        row("first attempt on failing account", off.first_on_flaky.to_string(), on.first_on_flaky.to_string());
        row("requests to failing account", off.flaky_requests.to_string(), on.flaky_requests.to_string());
        row("breaker trips", off.breaker_trips.to_string(), on.breaker_trips.to_string());
        row("payers charged twice", off.double_charged.to_string(), on.double_charged.to_string());
        row("charges not booked", off.unbooked.to_string(), on.unbooked.to_string());
        println!("  (\"off\" = first candidate only: no fallback, no breaker, no health ordering; {:.1} s)\n", t.elapsed().as_secs_f64());
    }
}
