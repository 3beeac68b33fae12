//! Words and numbers on charts and in reports, in Chinese and English.

use serde::{Deserialize, Serialize};

/// The language of labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// `zh-CN`/`zh…` → Chinese, anything else English.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// A chart or report text by key (falls back to the key itself).
    pub fn t(self, key: &str) -> &'static str {
        let (zh, en) = match key {
            "sales_by_day" => ("每日销售额", "Sales by day"),
            "sales_by_hour" => ("各时段销售额", "Sales by hour"),
            "heatmap" => ("客流热力图（笔数：星期 × 时段）", "Busy hours (paid orders, weekday × hour)"),
            "method_mix" => ("支付方式占比", "Payment methods"),
            "channel_success" => ("各通道支付成功率", "Success rate by channel"),
            "current" => ("本期", "This period"),
            "previous" => ("上期", "Previous period"),
            "no_data" => ("本期暂无数据", "No sales in this period"),
            "orders" => ("笔", "orders"),
            "gross" => ("销售额", "Gross sales"),
            "refunds" => ("退款", "Refunds"),
            "net" => ("净收入", "Net"),
            "average_ticket" => ("客单价", "Average ticket"),
            "success_rate" => ("支付成功率", "Success rate"),
            "fees" => ("手续费", "Channel fees"),
            "orders_kpi" => ("订单数", "Orders"),
            _ => ("", ""),
        };
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The name of a channel or payment method.
    pub fn method(self, name: &str) -> String {
        let (zh, en) = match name {
            "alipay" => ("支付宝", "Alipay"),
            "wechat" => ("微信支付", "WeChat Pay"),
            "unionpay" => ("云闪付/银联", "UnionPay"),
            "ecny" => ("数字人民币", "e-CNY"),
            "sandbox" => ("演示钱包", "Sandbox"),
            other => (other, other),
        };
        match self {
            Lang::Zh => zh.to_string(),
            Lang::En => en.to_string(),
        }
    }

    /// Monday = 1 … Sunday = 7.
    pub fn weekday(self, n: u8) -> &'static str {
        let zh = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
        let en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let i = usize::from(n.clamp(1, 7) - 1);
        match self {
            Lang::Zh => zh[i],
            Lang::En => en[i],
        }
    }
}

/// Fen as a short axis label: `¥1,234`, `¥1.2万` / `¥12.3k`, with a sign when negative.
/// Integer arithmetic only.
pub fn compact_yuan(fen: i64, lang: Lang) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let yuan = fen.unsigned_abs() / 100;
    let scaled = |unit: u64, suffix: &str| {
        let tenths = (yuan * 10 + unit / 2) / unit;
        if tenths.is_multiple_of(10) {
            format!("{sign}¥{}{suffix}", tenths / 10)
        } else {
            format!("{sign}¥{}.{}{suffix}", tenths / 10, tenths % 10)
        }
    };
    match lang {
        Lang::Zh if yuan >= 100_000_000 => scaled(100_000_000, "亿"),
        Lang::Zh if yuan >= 10_000 => scaled(10_000, "万"),
        Lang::En if yuan >= 1_000_000 => scaled(1_000_000, "M"),
        Lang::En if yuan >= 10_000 => scaled(1_000, "k"),
        _ => format!("{sign}¥{}", grouped(yuan)),
    }
}

/// `1234567` → `1,234,567`.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Basis points as a percentage with one decimal: 9734 → `97.3%`.
pub use paydesk_core::export::percent;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_amounts() {
        assert_eq!(compact_yuan(123_456, Lang::Zh), "¥1,234");
        assert_eq!(compact_yuan(1_234_500, Lang::Zh), "¥1.2万");
        assert_eq!(compact_yuan(3_000_000, Lang::Zh), "¥3万");
        assert_eq!(compact_yuan(1_234_500, Lang::En), "¥12.3k");
        assert_eq!(compact_yuan(-50_000, Lang::En), "-¥500");
        assert_eq!(compact_yuan(25_000_000_000, Lang::Zh), "¥2.5亿");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(percent(9_734), "97.3%");
        assert_eq!(percent(10_000), "100.0%");
        assert_eq!(percent(-125), "-1.3%");
    }
}
