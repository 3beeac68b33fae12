//! Gross as bars (by day, or by hour), with the previous period as a line.

use chrono::{Datelike, NaiveDate};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{Area, Ctx, DrawResult};
use crate::text::compact_yuan;
use crate::Lang;

fn month_label(d: NaiveDate, with_year: bool, lang: Lang) -> String {
    match (lang, with_year) {
        (Lang::Zh, true) => d.format("%Y年%-m月").to_string(),
        (Lang::Zh, false) => d.format("%-m月").to_string(),
        (Lang::En, true) => d.format("%b %Y").to_string(),
        (Lang::En, false) => d.format("%b").to_string(),
    }
}

/// One bar: its label, this period's value, the previous period's (if any), all in fen.
struct Bar {
    label: String,
    /// A shorter label to use where `label` does not fit ("1月" for "2026年1月").
    short: Option<String>,
    value: i64,
    previous: Option<i64>,
}

/// Gross per day with the previous period's days as a line; one-day periods go by hour.
pub(crate) fn by_day<DB: DrawingBackend>(area: &Area<DB>, ctx: &Ctx<'_>) -> DrawResult<DB> {
    if ctx.db.window.days() == 1 {
        return hours(area, ctx, true);
    }
    let long = ctx.db.by_day.len() > 62;
    let mut last_month = None;
    let bars: Vec<Bar> = ctx
        .db
        .by_day
        .iter()
        .map(|d| {
            // Long ranges name each month once, at its first day; short ones every day ("11-25").
            let month = (d.date.year(), d.date.month());
            let label = if !long {
                d.date.format("%m-%d").to_string()
            } else if last_month != Some(month) {
                // The year goes on January, or on the first month of a range within one year.
                let one_year = ctx.db.window.from.year() == ctx.db.window.to.year();
                let with_year = d.date.month() == 1 || (last_month.is_none() && one_year);
                last_month = Some(month);
                return Bar { label: month_label(d.date, with_year, ctx.lang), short: with_year.then(|| month_label(d.date, false, ctx.lang)), value: d.gross.fen(), previous: d.previous_gross.map(|g| g.fen()) };
            } else {
                String::new()
            };
            Bar { label, short: None, value: d.gross.fen(), previous: d.previous_gross.map(|g| g.fen()) }
        })
        .collect();
    bar_chart(area, ctx, &bars, true)
}

/// Gross per local hour over the whole period.
pub(crate) fn by_hour<DB: DrawingBackend>(area: &Area<DB>, ctx: &Ctx<'_>) -> DrawResult<DB> {
    hours(area, ctx, false)
}

fn hours<DB: DrawingBackend>(area: &Area<DB>, ctx: &Ctx<'_>, with_previous: bool) -> DrawResult<DB> {
    let bars: Vec<Bar> = ctx
        .db
        .by_hour
        .iter()
        .map(|h| Bar { label: format!("{:02}:00", h.hour), short: None, value: h.gross.fen(), previous: with_previous.then_some(h.previous_gross.fen()) })
        .collect();
    bar_chart(area, ctx, &bars, with_previous)
}

fn bar_chart<DB: DrawingBackend>(area: &Area<DB>, ctx: &Ctx<'_>, bars: &[Bar], legend: bool) -> DrawResult<DB> {
    let c = &ctx.c;
    let max = bars.iter().flat_map(|b| [b.value, b.previous.unwrap_or(0)]).max().unwrap_or(0);
    if max == 0 {
        return ctx.empty(area);
    }
    // Head room for the legend, and a round top.
    let top = nice_ceiling(max + max / 6);
    let n = i32::try_from(bars.len()).unwrap_or(i32::MAX);
    let mut chart = ChartBuilder::on(area)
        .margin_right(ctx.px(0.5))
        .x_label_area_size(ctx.px(1.6))
        .y_label_area_size(ctx.px(3.6))
        .build_cartesian_2d((0..(n - 1).max(1)).into_segmented(), 0i64..top)?;
    let lang = ctx.lang;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(c.grid)
        .light_line_style(TRANSPARENT)
        .axis_style(c.grid)
        .x_labels(1)
        .x_label_formatter(&|_| String::new())
        .set_tick_mark_size(LabelAreaPosition::Bottom, 0)
        .y_labels(5)
        .y_label_formatter(&|v| compact_yuan(*v, lang))
        .label_style(ctx.font(0.9, &c.muted))
        .draw()?;
    // X labels: as many as fit without touching, evenly spaced (long ranges: every month).
    let (w, _) = super::dims(area);
    let style = ctx.at(0.9, &c.muted, HPos::Center, VPos::Top);
    let widest = bars.iter().filter_map(|b| area.estimate_text_size(&b.label, &style).ok()).map(|s| i32::try_from(s.0).unwrap_or(0)).max().unwrap_or(0);
    let step = usize::try_from((widest + ctx.px(0.8)) * n / w.max(1) + 1).unwrap_or(1);
    let sparse = bars.iter().any(|b| b.label.is_empty());
    let mut right_edge = i32::MIN;
    for (i, b) in bars.iter().enumerate() {
        if b.label.is_empty() || (!sparse && i % step != 0) {
            continue;
        }
        let (x, y) = chart.backend_coord(&(SegmentValue::CenterOf(i32::try_from(i).unwrap_or(0)), 0));
        let x = x - area.get_base_pixel().0;
        let half = |s: &str| area.estimate_text_size(s, &style).map(|s| i32::try_from(s.0).unwrap_or(0) / 2).unwrap_or(0);
        let fits = [Some(&b.label), b.short.as_ref()].into_iter().flatten().find(|l| x - half(l) > right_edge);
        if let Some(label) = fits {
            area.draw(&Text::new(label.clone(), (x, y - area.get_base_pixel().1 + ctx.px(0.35)), style.clone()))?;
            right_edge = x + half(label) + ctx.px(0.6);
        }
    }
    // The gap between bars (each side) is a fifth of a bar's slot at most, so long ranges keep
    // solid bars instead of hairlines; slots under 4 px get no gap at all.
    let slot = f64::from(w - ctx.px(4.1)) / f64::from(n.max(1));
    let gap = if slot < 4.0 { 0 } else { (f64::from(ctx.px(0.15)).min(slot / 5.0)).floor().max(1.0) as u32 };
    chart
        .draw_series(Histogram::vertical(&chart).style(c.accent.filled()).margin(gap).data(bars.iter().enumerate().map(|(i, b)| (i32::try_from(i).unwrap_or(0), b.value))))?
        .label(ctx.lang.t("current"))
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.accent.filled()));
    if legend && bars.iter().any(|b| b.previous.unwrap_or(0) > 0) {
        // Days of the previous period before its first sale are most likely before the book began
        // (a new shop, a first week on Paydesk): no line there rather than a misleading zero.
        let first = bars.iter().position(|b| b.previous.unwrap_or(0) > 0).unwrap_or(0);
        let points: Vec<_> = bars.iter().enumerate().skip(first).filter_map(|(i, b)| b.previous.map(|p| (SegmentValue::CenterOf(i32::try_from(i).unwrap_or(0)), p))).collect();
        let line = ShapeStyle::from(&c.previous).stroke_width(u32::try_from(ctx.px(0.14)).unwrap_or(2).max(2));
        chart
            .draw_series(LineSeries::new(points, line))?
            .label(ctx.lang.t("previous"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], line));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(c.background.mix(0.85))
            .border_style(c.grid)
            .label_font(ctx.font(0.9, &c.text))
            .draw()?;
    }
    Ok(())
}

/// The smallest round amount (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ yuan, in fen) at or above `fen`.
fn nice_ceiling(fen: i64) -> i64 {
    let mut unit = 10i64;
    loop {
        for m in [10, 15, 20, 25, 30, 40, 50, 60, 80] {
            if unit.saturating_mul(m) >= fen {
                return unit.saturating_mul(m);
            }
        }
        if unit > i64::MAX / 10 {
            return fen;
        }
        unit *= 10;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nice_ceilings() {
        assert_eq!(super::nice_ceiling(1), 100);
        assert_eq!(super::nice_ceiling(150), 150);
        assert_eq!(super::nice_ceiling(151), 200);
        assert_eq!(super::nice_ceiling(2_080_000), 2_500_000);
        assert_eq!(super::nice_ceiling(5_000_000), 5_000_000);
    }
}
