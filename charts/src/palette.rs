//! Colours: one per channel/method everywhere (charts, UI, exports), and the two themes.

use plotters::style::RGBColor;
use serde::{Deserialize, Serialize};

/// The colour of a channel or payment method, by its name (`alipay`, `wechat`, …).
pub fn channel_color(name: &str) -> RGBColor {
    match name {
        "alipay" => RGBColor(0x16, 0x77, 0xFF),
        "wechat" => RGBColor(0x07, 0xC1, 0x60),
        "unionpay" => RGBColor(0xE6, 0x00, 0x12),
        "ecny" => RGBColor(0xFA, 0x8C, 0x16),
        "sandbox" => RGBColor(0x7C, 0x3A, 0xED),
        _ => RGBColor(0x8C, 0x8C, 0x8C),
    }
}

/// `#RRGGBB` of [`channel_color`], for the UI and spreadsheets.
pub fn channel_hex(name: &str) -> String {
    let RGBColor(r, g, b) = channel_color(name);
    format!("#{r:02X}{g:02X}{b:02X}")
}

/// Light for a bright shop, dark for evenings and OLED tills.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

/// The colours a chart is drawn with.
#[derive(Clone, Copy, Debug)]
pub struct Colors {
    pub background: RGBColor,
    pub text: RGBColor,
    pub muted: RGBColor,
    pub grid: RGBColor,
    /// Bars of the current period.
    pub accent: RGBColor,
    /// The previous period's line.
    pub previous: RGBColor,
    /// Negative values (net after refunds).
    pub negative: RGBColor,
}

impl Theme {
    pub fn colors(self) -> Colors {
        match self {
            Theme::Light => Colors {
                background: RGBColor(0xFF, 0xFF, 0xFF),
                text: RGBColor(0x1F, 0x23, 0x29),
                muted: RGBColor(0x6B, 0x72, 0x80),
                grid: RGBColor(0xE5, 0xE7, 0xEB),
                accent: RGBColor(0x16, 0x77, 0xFF),
                previous: RGBColor(0xF0, 0x8C, 0x00),
                negative: RGBColor(0xD0, 0x30, 0x50),
            },
            Theme::Dark => Colors {
                background: RGBColor(0x1B, 0x1D, 0x22),
                text: RGBColor(0xE8, 0xEA, 0xED),
                muted: RGBColor(0x9C, 0xA3, 0xAF),
                grid: RGBColor(0x33, 0x37, 0x3E),
                accent: RGBColor(0x4C, 0x9A, 0xFF),
                previous: RGBColor(0xFF, 0xB0, 0x40),
                negative: RGBColor(0xFF, 0x6B, 0x81),
            },
        }
    }
}

/// Mixes `a` toward `b` by `t` (0 = a, 1 = b): the heatmap's scale.
pub fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let ch = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(ch(a.0, b.0), ch(a.1, b.1), ch(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_colours() {
        assert_eq!(channel_hex("alipay"), "#1677FF");
        assert_eq!(channel_hex("wechat"), "#07C160");
        assert_eq!(channel_hex("unionpay"), "#E60012");
        assert_eq!(channel_hex("anything"), "#8C8C8C");
        let c = Theme::Light.colors();
        assert_eq!(mix(c.background, c.accent, 0.0), c.background);
        assert_eq!(mix(c.background, c.accent, 1.0), c.accent);
    }
}
