//! QR codes for the terminal (Unicode half blocks) and as PNG files.

use std::path::Path;

use qrcode::{Color, EcLevel, QrCode};

use crate::i18n::tr;

fn code(text: &str) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| tr!(QR_ENCODE_FAILED, detail = e))
}

/// Renders with two modules per character cell (dark on light, with a quiet zone).
pub(crate) fn terminal(text: &str) -> Result<String, String> {
    let c = code(text)?;
    let w = c.width();
    let colors = c.to_colors();
    let quiet = 2usize;
    let dark = |x: isize, y: isize| -> bool {
        x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < w && colors[y as usize * w + x as usize] == Color::Dark
    };
    let mut out = String::new();
    let size = (w + 2 * quiet) as isize;
    let q = quiet as isize;
    let mut y = 0;
    while y < size {
        for x in 0..size {
            let top = dark(x - q, y - q);
            let bottom = dark(x - q, y + 1 - q);
            out.push(match (top, bottom) {
                (false, false) => '█',
                (true, false) => '▄',
                (false, true) => '▀',
                (true, true) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    Ok(out)
}

/// Writes a PNG, `scale` pixels per module, 4-module quiet zone.
pub(crate) fn png(text: &str, path: &Path, scale: u32) -> Result<(), String> {
    let c = code(text)?;
    let w = c.width() as u32;
    let colors = c.to_colors();
    let quiet = 4;
    let size = (w + 2 * quiet) * scale;
    let img = image::GrayImage::from_fn(size, size, |px, py| {
        let (mx, my) = (px / scale, py / scale);
        let dark = mx >= quiet && my >= quiet && mx - quiet < w && my - quiet < w && colors[((my - quiet) * w + (mx - quiet)) as usize] == Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    img.save(path).map_err(|e| tr!(FILE_WRITE_FAILED, path = path.display(), detail = e))
}
