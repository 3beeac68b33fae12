//! A bitmap backend with correct text: plotters' ab_glyph path draws each glyph at its bounding
//! box instead of its pen position (narrow CJK glyphs then leave gaps), so text is drawn here,
//! glyph by glyph at pen + bearing, with the same anchors as the SVG output. Everything else is
//! plotters' own `BitMapBackend`.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform};

/// Where the baseline sits below the anchor, in em, per vertical anchor (SVG uses the same).
pub(crate) const TOP_EM: f64 = 0.88;
pub(crate) const CENTER_EM: f64 = 0.36;
pub(crate) const BOTTOM_EM: f64 = -0.12;

pub(crate) struct TextBitmap<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> TextBitmap<'a> {
    pub(crate) fn new(buf: &'a mut [u8], size: (u32, u32), font: FontRef<'static>) -> Self {
        TextBitmap { inner: BitMapBackend::with_buffer(buf, size), font }
    }
}

type R<'a> = Result<(), DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>>;

impl<'a> DrawingBackend for TextBitmap<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> R<'a> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> R<'a> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> R<'a> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> R<'a> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(&mut self, ul: BackendCoord, br: BackendCoord, style: &S, fill: bool) -> R<'a> {
        self.inner.draw_rect(ul, br, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> R<'a> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(&mut self, center: BackendCoord, radius: u32, style: &S, fill: bool) -> R<'a> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, vert: I, style: &S) -> R<'a> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> R<'a> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> R<'a> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        if !matches!(style.transform(), FontTransform::None) {
            return self.inner.draw_text(text, style, pos);
        }
        // plotters lays text out with the scale = size (line height); the em follows from it.
        let scaled = self.font.as_scaled(PxScale::from(style.size() as f32));
        let em = f64::from(scaled.scale().y) * f64::from(self.font.units_per_em().unwrap_or(1000.0)) / f64::from(self.font.height_unscaled());
        let mut width = 0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                width += scaled.kern(p, id);
            }
            width += scaled.h_advance(id);
            prev = Some(id);
        }
        let x0 = f64::from(pos.0)
            - match style.anchor().h_pos {
                HPos::Left => 0.0,
                HPos::Center => f64::from(width) / 2.0,
                HPos::Right => f64::from(width),
            };
        let baseline = f64::from(pos.1)
            + em * match style.anchor().v_pos {
                VPos::Top => TOP_EM,
                VPos::Center => CENTER_EM,
                VPos::Bottom => BOTTOM_EM,
            };
        let (w, h) = self.get_size();
        let mut pen = x0 as f32;
        let mut prev = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scaled.scale(), ab_glyph::point(pen, baseline as f32));
            if let Some(outline) = self.font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                let mut result = Ok(());
                outline.draw(|gx, gy, cover| {
                    let (x, y) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                    if result.is_ok() && cover > 0.0 && x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                        result = self.inner.draw_pixel((x, y), BackendColor { alpha: color.alpha * f64::from(cover.min(1.0)), rgb: color.rgb });
                    }
                });
                result?;
            }
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        Ok(())
    }
}
