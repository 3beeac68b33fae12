//! Draws what a printer would print from the bytes Paydesk sent ([`crate::decode`]): a receipt
//! image (PNG) a person can look at. Dots as a 203-dpi printer lays them out: font A is 12×24
//! dots for ASCII and 24×24 for Chinese, scaled by `GS !`; QR modules are the size `GS ( k` set.
//! A grey margin on the right notes what paper does not show (drawer kick, cut).
//! CODE128 is drawn bar by bar ([`crate::code128`]), its text underneath, as the printer does.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, Luma};
use unicode_width::UnicodeWidthChar;

use crate::code128;
use crate::decode::{decode, Op};

const MARGIN: u32 = 16;
const GUTTER: u32 = 110;
const LINE_GAP: u32 = 6;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the font cannot be read: {0}")]
    Font(String),
    #[error("the image cannot be encoded: {0}")]
    Encode(String),
}

struct Canvas<'f> {
    img: GrayImage,
    font: FontRef<'f>,
    y: u32,
    paper: u32,
}

#[derive(Clone, Copy)]
struct Style {
    bold: bool,
    w: u32,
    h: u32,
}

impl Canvas<'_> {
    fn ensure(&mut self, rows: u32) {
        if self.y + rows + 8 > self.img.height() {
            let mut bigger = GrayImage::from_pixel(self.img.width(), (self.img.height() * 2).max(self.y + rows + 64), Luma([255]));
            image::imageops::replace(&mut bigger, &self.img, 0, 0);
            self.img = bigger;
        }
    }

    fn ink(&mut self, x: u32, y: u32, v: u8) {
        if x < self.img.width() && y < self.img.height() {
            let p = self.img.get_pixel_mut(x, y);
            p.0[0] = p.0[0].min(v);
        }
    }

    fn glyph(&mut self, ch: char, x: f32, top: u32, cell_w: f32, st: Style, shade: u8) {
        let scale = PxScale { x: 22.0 * st.w as f32, y: 22.0 * st.h as f32 };
        let sf = self.font.as_scaled(scale);
        let id = self.font.glyph_id(ch);
        let adv = sf.h_advance(id);
        let gx = x + ((cell_w - adv) / 2.0).max(0.0);
        let base = top as f32 + 1.0 + sf.ascent() * (24.0 * st.h as f32) / (sf.ascent() - sf.descent());
        let g = id.with_scale_and_position(scale, ab_glyph::point(gx, base));
        if let Some(outline) = self.font.outline_glyph(g) {
            let b = outline.px_bounds();
            let mut dots = Vec::new();
            outline.draw(|px, py, c| {
                if c > 0.35 {
                    dots.push((b.min.x as i64 + i64::from(px), b.min.y as i64 + i64::from(py)));
                }
            });
            for (dx, dy) in dots {
                if dx >= 0 && dy >= 0 {
                    let (dx, dy) = (dx as u32, dy as u32);
                    self.ink(dx, dy, shade);
                    if st.bold {
                        self.ink(dx + 1, dy, shade);
                    }
                }
            }
        }
    }

    fn text_line(&mut self, chars: &[(char, Style)], align: u8) {
        let h = chars.iter().map(|(_, s)| s.h).max().unwrap_or(1);
        let row = 24 * h;
        self.ensure(row + LINE_GAP);
        let cell = |c: char, s: Style| 12 * s.w * c.width().unwrap_or(1).max(1) as u32;
        let width: u32 = chars.iter().map(|(c, s)| cell(*c, *s)).sum();
        let x0 = MARGIN + match align {
            1 => self.paper.saturating_sub(width) / 2,
            2 => self.paper.saturating_sub(width),
            _ => 0,
        };
        let mut x = x0 as f32;
        for (c, s) in chars {
            let cw = cell(*c, *s) as f32;
            let top = self.y + 24 * (h - s.h);
            if !c.is_whitespace() {
                self.glyph(*c, x, top, cw, *s, 0);
            }
            x += cw;
        }
        self.y += row + LINE_GAP;
    }

    fn note(&mut self, text: &str) {
        let x = (MARGIN * 2 + self.paper) as f32 + 4.0;
        let top = self.y.saturating_sub(24);
        for (i, c) in text.chars().enumerate() {
            self.glyph(c, x + 8.0 * i as f32, top, 8.0, Style { bold: false, w: 1, h: 1 }, 150);
        }
    }

    fn qr(&mut self, data: &str, module: u32, level: char, align: u8) {
        let ec = match level {
            'M' => qrcode::EcLevel::M,
            'Q' => qrcode::EcLevel::Q,
            'H' => qrcode::EcLevel::H,
            _ => qrcode::EcLevel::L,
        };
        let Ok(code) = qrcode::QrCode::with_error_correction_level(data.as_bytes(), ec) else { return };
        let n = code.width() as u32;
        let size = n * module;
        self.ensure(size + 2 * module + LINE_GAP);
        let x0 = MARGIN + match align {
            1 => self.paper.saturating_sub(size) / 2,
            2 => self.paper.saturating_sub(size),
            _ => 0,
        };
        let y0 = self.y + module;
        for (i, c) in code.to_colors().into_iter().enumerate() {
            if c == qrcode::Color::Dark {
                let (mx, my) = (i as u32 % n, i as u32 / n);
                for dy in 0..module {
                    for dx in 0..module {
                        self.ink(x0 + mx * module + dx, y0 + my * module + dy, 0);
                    }
                }
            }
        }
        self.y += size + 2 * module;
    }

    /// Bars of `module` dots (the printer prints what fits on the paper and cuts the rest off),
    /// then the text below (`GS H 2`).
    fn barcode(&mut self, raw: &[u8], text: &str, height: u32, module: u32, align: u8) {
        let Some(symbols) = code128::symbols(raw) else { return };
        let bars = code128::modules(&symbols);
        let width = (bars.len() as u32 + 2 * code128::QUIET as u32) * module;
        self.ensure(height + 40);
        let x0 = MARGIN
            + code128::QUIET as u32 * module
            + match align {
                1 => self.paper.saturating_sub(width) / 2,
                2 => self.paper.saturating_sub(width),
                _ => 0,
            };
        for (k, _) in bars.iter().enumerate().filter(|(_, &bar)| bar) {
            for dx in 0..module {
                let x = x0 + k as u32 * module + dx;
                if x < MARGIN + self.paper {
                    for y in self.y..self.y + height {
                        self.ink(x, y, 0);
                    }
                }
            }
        }
        self.y += height + 4;
        let chars: Vec<(char, Style)> = text.chars().map(|c| (c, Style { bold: false, w: 1, h: 1 })).collect();
        self.text_line(&chars, align);
    }
}

/// Renders a job's bytes to a PNG, `paper` dots wide (384 for 58 mm, 576 for 80 mm).
pub fn png(bytes: &[u8], paper: u32, font: &[u8]) -> Result<Vec<u8>, RenderError> {
    let img = image(bytes, paper, font)?;
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}

/// Renders a job's bytes to a greyscale image.
pub fn image(bytes: &[u8], paper: u32, font: &[u8]) -> Result<GrayImage, RenderError> {
    let font = FontRef::try_from_slice(font).map_err(|e| RenderError::Font(e.to_string()))?;
    let width = paper + 2 * MARGIN + GUTTER;
    let mut c = Canvas { img: GrayImage::from_pixel(width, 1200, Luma([255])), font, y: MARGIN, paper };
    let mut st = Style { bold: false, w: 1, h: 1 };
    let mut align = 0u8;
    let mut line: Vec<(char, Style)> = Vec::new();
    for op in decode(bytes) {
        match op {
            Op::Init => {
                st = Style { bold: false, w: 1, h: 1 };
                align = 0;
            }
            Op::Align(a) => align = a,
            Op::Bold(b) => st.bold = b,
            Op::Size(w, h) => {
                st.w = u32::from(w);
                st.h = u32::from(h);
            }
            Op::Text(t) => line.extend(t.chars().map(|ch| (ch, st))),
            Op::LineFeed => {
                if line.is_empty() {
                    c.ensure(30);
                    c.y += 24 * st.h + LINE_GAP;
                } else {
                    c.text_line(&std::mem::take(&mut line), align);
                }
            }
            Op::Feed(n) => {
                if !line.is_empty() {
                    c.text_line(&std::mem::take(&mut line), align);
                }
                c.ensure(30 * u32::from(n));
                c.y += 30 * u32::from(n);
            }
            Op::Qr { module, level, data } => c.qr(&data, u32::from(module), level, align),
            Op::Code128 { height, module, data, raw } => c.barcode(&raw, &data, u32::from(height), u32::from(module), align),
            Op::Kick => {
                c.y += 2;
                c.note("drawer kick");
            }
            Op::Cut { feed } => {
                c.y += 30 * u32::from(feed);
                c.ensure(30);
                let y = c.y;
                for x in (MARGIN..MARGIN + paper).step_by(12) {
                    for dx in 0..6 {
                        c.ink(x + dx, y, 110);
                    }
                }
                c.y += 8;
                c.note("cut");
                c.y += 16;
            }
            Op::ChineseMode | Op::Status(_) | Op::Unknown(_) => {}
        }
    }
    if !line.is_empty() {
        c.text_line(&line, align);
    }
    let h = c.y + MARGIN;
    let mut out = image::imageops::crop_imm(&c.img, 0, 0, width, h).to_image();
    // The paper's edges, and the margin notes' background.
    for y in 0..h {
        out.put_pixel(MARGIN / 2, y, Luma([200]));
        out.put_pixel(paper + MARGIN + MARGIN / 2, y, Luma([200]));
        for x in paper + 2 * MARGIN..width {
            let p = out.get_pixel_mut(x, y);
            if p.0[0] == 255 {
                p.0[0] = 240;
            }
        }
    }
    Ok(out)
}
