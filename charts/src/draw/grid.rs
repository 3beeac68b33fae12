//! The weekday × hour heatmap and the per-channel success-rate bars, drawn cell by cell.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{dims, Area, Ctx, DrawResult};
use crate::palette::{channel_color, mix};
use crate::text::{grouped, percent};

/// Paid orders per weekday (rows, Monday first) and local hour (columns).
pub(crate) fn heatmap<DB: DrawingBackend>(area: &Area<DB>, ctx: &Ctx<'_>) -> DrawResult<DB> {
    let c = &ctx.c;
    let max = ctx.db.heatmap.iter().flatten().copied().max().unwrap_or(0);
    if max == 0 {
        return ctx.empty(area);
    }
    let (w, h) = dims(area);
    let left = ctx.px(2.6);
    let bottom = ctx.px(1.5);
    let legend_h = ctx.px(1.3);
    let cw = (w - left).max(24) / 24;
    let ch = ((h - bottom - legend_h).max(7)) / 7;
    let empty = mix(c.background, c.grid, 0.9);
    for (row, counts) in ctx.db.heatmap.iter().enumerate().take(7) {
        let y = i32::try_from(row).unwrap_or(0) * ch;
        let weekday = u8::try_from(row + 1).unwrap_or(1);
        area.draw(&Text::new(ctx.lang.weekday(weekday), (left - ctx.px(0.4), y + ch / 2), ctx.at(0.8, &c.muted, HPos::Right, VPos::Center)))?;
        for (hour, &n) in counts.iter().enumerate().take(24) {
            let x = left + i32::try_from(hour).unwrap_or(0) * cw;
            // Square root scale: quiet hours stay visible next to the lunch peak.
            let t = if n == 0 { 0.0 } else { 0.12 + 0.88 * ((n as f64) / (max as f64)).sqrt() };
            let fill = if n == 0 { empty } else { mix(c.background, c.accent, t) };
            area.draw(&Rectangle::new([(x + 1, y + 1), (x + cw - 1, y + ch - 1)], fill.filled()))?;
            let label = grouped(n.unsigned_abs());
            let fits = area.estimate_text_size(&label, &ctx.font(0.62, &c.text)).map(|s| i32::try_from(s.0).unwrap_or(i32::MAX) + 4 < cw).unwrap_or(false);
            if n > 0 && fits && ch >= ctx.px(0.9) {
                let ink = if t > 0.55 { RGBColor(0xFF, 0xFF, 0xFF) } else { c.text };
                area.draw(&Text::new(label, (x + cw / 2, y + ch / 2), ctx.at(0.62, &ink, HPos::Center, VPos::Center)))?;
            }
        }
    }
    let y = 7 * ch + ctx.px(0.3);
    for hour in (0..24).step_by(if cw >= ctx.px(1.6) { 2 } else { 3 }) {
        let x = left + hour * cw + cw / 2;
        area.draw(&Text::new(format!("{hour}"), (x, y), ctx.at(0.75, &c.muted, HPos::Center, VPos::Top)))?;
    }
    // Scale: 0 … max in five steps.
    let y = h - legend_h / 2;
    let sw = ctx.px(1.2);
    let x0 = w - 5 * sw - ctx.px(3.0);
    area.draw(&Text::new("0", (x0 - ctx.px(0.3), y), ctx.at(0.7, &c.muted, HPos::Right, VPos::Center)))?;
    for i in 0..5 {
        let t = 0.12 + 0.88 * f64::from(i) / 4.0;
        let x = x0 + i * sw;
        area.draw(&Rectangle::new([(x, y - ctx.px(0.3)), (x + sw - 1, y + ctx.px(0.3))], mix(c.background, c.accent, t).filled()))?;
    }
    let top = format!("{} {}", grouped(max.unsigned_abs()), ctx.lang.t("orders"));
    area.draw(&Text::new(top, (x0 + 5 * sw + ctx.px(0.3), y), ctx.at(0.7, &c.muted, HPos::Left, VPos::Center)))?;
    Ok(())
}

/// One bar per channel: paid / attempts, in the channel's colour, with the counts.
pub(crate) fn channels<DB: DrawingBackend>(area: &Area<DB>, ctx: &Ctx<'_>) -> DrawResult<DB> {
    let c = &ctx.c;
    let rows: Vec<_> = ctx.db.channels.iter().filter(|ch| ch.attempts > 0).collect();
    if rows.is_empty() {
        return ctx.empty(area);
    }
    let (w, h) = dims(area);
    let name_w = rows
        .iter()
        .filter_map(|r| area.estimate_text_size(&ctx.lang.method(&r.channel), &ctx.font(0.9, &c.text)).ok())
        .map(|s| i32::try_from(s.0).unwrap_or(0))
        .max()
        .unwrap_or(0)
        + ctx.px(0.8);
    let value_w = ctx.px(8.5);
    let n = i32::try_from(rows.len()).unwrap_or(1);
    let row_h = (h / n.max(3)).min(ctx.px(3.2));
    let bar_h = (row_h * 11 / 20).max(6);
    let track = (name_w, w - value_w);
    for (i, r) in rows.iter().enumerate() {
        let y = i32::try_from(i).unwrap_or(0) * row_h + row_h / 2;
        area.draw(&Text::new(ctx.lang.method(&r.channel), (name_w - ctx.px(0.5), y), ctx.at(0.9, &c.text, HPos::Right, VPos::Center)))?;
        area.draw(&Rectangle::new([(track.0, y - bar_h / 2), (track.1, y + bar_h / 2)], mix(c.background, c.grid, 0.9).filled()))?;
        let rate = r.success_rate_bp.unwrap_or(0).clamp(0, 10_000);
        let end = track.0 + i32::try_from(i64::from(track.1 - track.0) * rate / 10_000).unwrap_or(0);
        area.draw(&Rectangle::new([(track.0, y - bar_h / 2), (end.max(track.0 + 1), y + bar_h / 2)], channel_color(&r.channel).filled()))?;
        let text = format!("{}  {}/{}", percent(rate), grouped(r.orders.unsigned_abs()), grouped(r.attempts.unsigned_abs()));
        area.draw(&Text::new(text, (track.1 + ctx.px(0.5), y), ctx.at(0.85, &c.text, HPos::Left, VPos::Center)))?;
    }
    Ok(())
}
