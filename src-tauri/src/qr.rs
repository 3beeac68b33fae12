//! QR codes as SVG (rendered in Rust so the UI needs no QR library).

use crate::error::{AppError, CmdResult};

/// An SVG QR code of `text`, black on white, with a quiet zone.
pub fn svg(text: &str) -> CmdResult<String> {
    if text.is_empty() || text.len() > 1024 {
        return Err(AppError::invalid("text", "must be 1 to 1024 bytes"));
    }
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).map_err(|e| AppError::invalid("text", &e.to_string()))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_svg_and_refuses_empty() {
        let s = super::svg("https://qr.sandbox.example/P1").unwrap();
        assert!(s.starts_with("<?xml") && s.contains("<svg") && s.contains("<path"), "{}", &s[..80]);
        assert_eq!(super::svg("").unwrap_err().code, "invalid");
    }
}
