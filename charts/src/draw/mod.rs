//! Drawing, generic over plotters' backends (SVG and bitmap share every line).

mod donut;
mod grid;
mod sales;

use paydesk_core::analytics::Dashboard;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::Colors;
use crate::{ChartKind, ChartOptions, Lang, FONT};

pub(crate) type Area<DB> = DrawingArea<DB, Shift>;
pub(crate) type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// What every chart needs: the figures, colours, language and a base font size.
pub(crate) struct Ctx<'a> {
    pub db: &'a Dashboard,
    pub c: Colors,
    pub lang: Lang,
    /// Base text size (plotters' line-height units), from the chart's size.
    pub fs: f64,
}

impl Ctx<'_> {
    pub(crate) fn font(&self, scale: f64, color: &RGBColor) -> TextStyle<'static> {
        (FONT, self.fs * scale).into_font().color(color)
    }

    pub(crate) fn at(&self, scale: f64, color: &RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
        self.font(scale, color).pos(Pos::new(h, v))
    }

    /// Pixels as i32 from a multiple of the base font size.
    pub(crate) fn px(&self, k: f64) -> i32 {
        (self.fs * k).round() as i32
    }

    /// A centred "no data" note.
    pub(crate) fn empty<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        let (w, h) = area.dim_in_pixel();
        let (w, h) = (i32::try_from(w).unwrap_or(0), i32::try_from(h).unwrap_or(0));
        area.draw(&Text::new(self.lang.t("no_data"), (w / 2, h / 2), self.at(1.0, &self.c.muted, HPos::Center, VPos::Center)))
    }
}

/// Fills the background, writes the title, and draws `kind` below it.
pub(crate) fn chart<DB: DrawingBackend>(root: &Area<DB>, kind: ChartKind, db: &Dashboard, opts: &ChartOptions) -> DrawResult<DB> {
    let fs = (f64::from(opts.width.min(opts.height * 2)) / 30.0).max(12.0);
    let ctx = Ctx { db, c: opts.theme.colors(), lang: opts.lang, fs };
    root.fill(&ctx.c.background)?;
    let title = match kind {
        ChartKind::Sales if db.window.days() == 1 => ctx.lang.t("sales_by_hour"),
        ChartKind::Sales => ctx.lang.t("sales_by_day"),
        ChartKind::Hours => ctx.lang.t("sales_by_hour"),
        ChartKind::Heatmap => ctx.lang.t("heatmap"),
        ChartKind::Methods => ctx.lang.t("method_mix"),
        ChartKind::Channels => ctx.lang.t("channel_success"),
    };
    let pad = ctx.px(0.7);
    root.draw(&Text::new(title, (pad, pad), ctx.at(1.15, &ctx.c.text, HPos::Left, VPos::Top)))?;
    let (_, body) = root.split_vertically(ctx.px(2.0));
    let body = body.margin(0, pad / 2, pad, pad);
    match kind {
        ChartKind::Sales => sales::by_day(&body, &ctx),
        ChartKind::Hours => sales::by_hour(&body, &ctx),
        ChartKind::Heatmap => grid::heatmap(&body, &ctx),
        ChartKind::Methods => donut::methods(&body, &ctx),
        ChartKind::Channels => grid::channels(&body, &ctx),
    }
}

/// A pixel size as i32.
pub(crate) fn dims<DB: DrawingBackend>(area: &Area<DB>) -> (i32, i32) {
    let (w, h) = area.dim_in_pixel();
    (i32::try_from(w).unwrap_or(0), i32::try_from(h).unwrap_or(0))
}
