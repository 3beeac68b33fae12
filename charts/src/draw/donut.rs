//! The payment-method mix: a donut in the methods' colours, the total in its hole, a legend.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{dims, Area, Ctx, DrawResult};
use crate::palette::channel_color;
use crate::text::{compact_yuan, grouped, percent};

pub(crate) fn methods<DB: DrawingBackend>(area: &Area<DB>, ctx: &Ctx<'_>) -> DrawResult<DB> {
    let c = &ctx.c;
    let db = ctx.db;
    let total: i64 = db.methods.iter().map(|m| m.gross.fen()).sum();
    if total <= 0 {
        return ctx.empty(area);
    }
    let (w, h) = dims(area);
    let r = (f64::from(h.min(w / 2)) * 0.46).max(10.0);
    let hole = r * 0.62;
    let (cx, cy) = (f64::from(ctx.px(0.5)) + r, f64::from(h) / 2.0);
    let mut start = -std::f64::consts::FRAC_PI_2;
    for m in &db.methods {
        let sweep = std::f64::consts::TAU * (m.gross.fen() as f64) / (total as f64);
        if sweep <= 0.0 {
            continue;
        }
        let steps = ((sweep.to_degrees() / 2.0).ceil() as usize).max(2);
        let arc = |radius: f64, k: usize| {
            let a = start + sweep * (k as f64) / (steps as f64);
            ((cx + radius * a.cos()).round() as i32, (cy + radius * a.sin()).round() as i32)
        };
        let mut points: Vec<(i32, i32)> = (0..=steps).map(|k| arc(r, k)).collect();
        points.extend((0..=steps).rev().map(|k| arc(hole, k)));
        area.draw(&Polygon::new(points, channel_color(&m.method).filled()))?;
        start += sweep;
    }
    let centre = (cx.round() as i32, cy.round() as i32);
    area.draw(&Text::new(compact_yuan(total, ctx.lang), (centre.0, centre.1 - ctx.px(0.45)), ctx.at(1.05, &c.text, HPos::Center, VPos::Center)))?;
    let orders: i64 = db.methods.iter().map(|m| m.orders).sum();
    let count = format!("{} {}", grouped(orders.unsigned_abs()), ctx.lang.t("orders"));
    area.draw(&Text::new(count, (centre.0, centre.1 + ctx.px(0.75)), ctx.at(0.75, &c.muted, HPos::Center, VPos::Center)))?;

    // Legend: swatch, name, share, amount.
    let x = (cx + r).round() as i32 + ctx.px(1.4);
    let line = ctx.px(1.9);
    let n = i32::try_from(db.methods.len()).unwrap_or(1);
    let mut y = (h - n * line) / 2 + line / 2;
    for m in &db.methods {
        let sw = ctx.px(0.45);
        area.draw(&Rectangle::new([(x, y - sw), (x + 2 * sw, y + sw)], channel_color(&m.method).filled()))?;
        area.draw(&Text::new(ctx.lang.method(&m.method), (x + ctx.px(1.3), y), ctx.at(0.9, &c.text, HPos::Left, VPos::Center)))?;
        let figures = format!("{}  {}", percent(m.share_bp), compact_yuan(m.gross.fen(), ctx.lang));
        area.draw(&Text::new(figures, (w - ctx.px(0.3), y), ctx.at(0.85, &c.muted, HPos::Right, VPos::Center)))?;
        y += line;
    }
    Ok(())
}
