//! # paydesk-charts
//!
//! The owner's sales charts, drawn in Rust with plotters from a [`Dashboard`]: SVG for the app's
//! Analytics screen, PNG for exports and the daily report. Text is laid out and (in PNGs)
//! rasterised with ab_glyph from a bundled subset of Noto Sans CJK SC
//! (`assets/fonts/NotoSansSC-Paydesk.otf`), so Chinese labels look the same on every machine and
//! no system font or fontconfig is needed. Channel colours come from [`palette`] and are the
//! same in every chart, light or dark.
//!
//! ```no_run
//! # fn demo(db: &paydesk_core::analytics::Dashboard) -> Result<(), paydesk_charts::ChartError> {
//! use paydesk_charts::{ChartKind, ChartOptions, Lang, Theme};
//! let opts = ChartOptions::new(Theme::Dark, Lang::Zh);
//! let svg: String = paydesk_charts::svg(ChartKind::Sales, db, &opts)?;
//! let png: Vec<u8> = paydesk_charts::png(ChartKind::Heatmap, db, &opts.scaled(2))?;
//! # Ok(()) }
//! ```
//!
//! This is its own crate so that plotters and the font stay out of `paydesk-core`, which every
//! other crate (server, channels) builds on.

mod bitmap;
mod draw;
pub mod palette;
pub mod report;
pub mod text;

use std::str::FromStr;
use std::sync::OnceLock;

use paydesk_core::analytics::Dashboard;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

pub use palette::{channel_color, channel_hex, Theme};
pub use text::Lang;

/// The family name charts use (the bundled font is registered under it; SVG text names it
/// first, so the app's WebKit picks the same face from fonts-noto-cjk).
pub const FONT: &str = "Noto Sans CJK SC";
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-Paydesk.otf");

/// The bundled CJK font (for other drawings that want the same face, e.g. the receipt renderer).
pub fn font_bytes() -> &'static [u8] {
    FONT_BYTES
}
/// The CSS font stack written into SVG text.
const SVG_FONTS: &str = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the image failed: {0}")]
    Encode(String),
    #[error("writing {path}: {problem}")]
    Io { path: String, problem: String },
}

/// The charts of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Gross by day as bars, the previous period as a line (by hour for a one-day period).
    Sales,
    /// Gross by local hour of day.
    Hours,
    /// Paid orders by weekday × hour.
    Heatmap,
    /// Method mix (donut with legend).
    Methods,
    /// Success rate per channel (bars with counts).
    Channels,
}

impl ChartKind {
    pub const ALL: [ChartKind; 5] = [ChartKind::Sales, ChartKind::Hours, ChartKind::Heatmap, ChartKind::Methods, ChartKind::Channels];

    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Sales => "sales",
            ChartKind::Hours => "hours",
            ChartKind::Heatmap => "heatmap",
            ChartKind::Methods => "methods",
            ChartKind::Channels => "channels",
        }
    }
}

impl FromStr for ChartKind {
    type Err = ChartError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChartKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| ChartError::Invalid {
            field: "chart",
            problem: format!("{s:?} is not one of sales, hours, heatmap, methods, channels"),
        })
    }
}

/// Theme, language and pixel size of a chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartOptions {
    pub theme: Theme,
    pub lang: Lang,
    pub width: u32,
    pub height: u32,
}

impl ChartOptions {
    /// 640 × 340: two charts side by side on a 1280 × 800 till screen.
    pub fn new(theme: Theme, lang: Lang) -> ChartOptions {
        ChartOptions { theme, lang, width: 640, height: 340 }
    }

    /// The same chart `factor` times larger (sharper PNGs for print).
    pub fn scaled(self, factor: u32) -> ChartOptions {
        ChartOptions { width: self.width * factor, height: self.height * factor, ..self }
    }

    fn check(&self) -> Result<(), ChartError> {
        for (field, v) in [("width", self.width), ("height", self.height)] {
            if !(160..=4000).contains(&v) {
                return Err(ChartError::Invalid { field, problem: format!("{v} px is outside 160–4000") });
            }
        }
        Ok(())
    }
}

fn register_font() -> Result<(), ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError::Draw("the bundled font could not be loaded".into()))
    }
}

/// ab_glyph sizes text by line height (ascent − descent); SVG's font-size is the em. The factor
/// between the two for the bundled font, so SVG text is as wide as the layout assumed.
fn em_per_line() -> f64 {
    use ab_glyph::Font;
    static EM: OnceLock<f64> = OnceLock::new();
    *EM.get_or_init(|| match ab_glyph::FontRef::try_from_slice(FONT_BYTES) {
        Ok(f) => f64::from(f.units_per_em().unwrap_or(1000.0)) / f64::from(f.height_unscaled()),
        Err(_) => 1.0 / 1.24,
    })
}

/// Renders `kind` as an SVG document.
pub fn svg(kind: ChartKind, db: &Dashboard, opts: &ChartOptions) -> Result<String, ChartError> {
    opts.check()?;
    register_font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (opts.width, opts.height)).into_drawing_area();
        draw::chart(&root, kind, db, opts).map_err(|e| ChartError::Draw(e.to_string()))?;
        root.present().map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    Ok(fix_svg_text(&out))
}

/// Renders `kind` as a PNG image.
pub fn png(kind: ChartKind, db: &Dashboard, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    opts.check()?;
    register_font()?;
    let (w, h) = (opts.width, opts.height);
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let font = ab_glyph::FontRef::try_from_slice(FONT_BYTES).map_err(|e| ChartError::Draw(format!("bundled font: {e}")))?;
        let root = bitmap::TextBitmap::new(&mut buf, (w, h), font).into_drawing_area();
        draw::chart(&root, kind, db, opts).map_err(|e| ChartError::Draw(e.to_string()))?;
        root.present().map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).ok_or_else(|| ChartError::Encode("buffer size".into()))?;
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).map_err(|e| ChartError::Encode(e.to_string()))?;
    Ok(png.into_inner())
}

/// Gives SVG text a font stack, an em size matching the layout (see [`em_per_line`]) and the
/// same baseline offsets as the PNG output ([`bitmap`]).
fn fix_svg_text(svg: &str) -> String {
    let svg = svg
        .replace(&format!("font-family=\"{FONT}\""), &format!("font-family=\"{SVG_FONTS}\""))
        .replace("dy=\"0.76em\"", &format!("dy=\"{}em\"", bitmap::TOP_EM))
        .replace("dy=\"0.5ex\"", &format!("dy=\"{}em\"", bitmap::CENTER_EM))
        .replace("dy=\"-0.5ex\"", &format!("dy=\"{}em\"", bitmap::BOTTOM_EM));
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg.as_str();
    while let Some(i) = rest.find("font-size=\"") {
        let (head, tail) = rest.split_at(i + "font-size=\"".len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(0);
        // plotters wrote size / 1.24; the em of the bundled font is size × em_per_line.
        match tail[..end].parse::<f64>() {
            Ok(v) => out.push_str(&format!("{:.1}", v * 1.24 * em_per_line())),
            Err(_) => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
