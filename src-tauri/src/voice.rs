//! Spoken payment announcements ("支付宝到账 12.34 元" / "Alipay received 12.34 yuan").
//!
//! Phrases are put together from short clips bundled in `assets/voice/{zh,en}/` (16 kHz mono
//! 16-bit WAV, made offline by `assets/voice/generate.sh` with espeak-ng + sox) and played by
//! rodio on a thread of its own. Only core's confirmed `Success` reaches [`Voice::announce`];
//! without a sound device the announcement is logged and still reported to the UI.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use paydesk_core::{Method, Order};

/// A language the clips exist in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_tag(tag: &str) -> Lang {
        if tag.starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

macro_rules! clips {
    ($dir:literal: $($name:literal)*) => {
        &[$(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/voice/", $dir, "/", $name, ".wav")) as &[u8])),*]
    };
}

static ZH: &[(&str, &[u8])] = clips!("zh": "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "10" "100" "1000" "10000" "100000000" "point" "yuan"
    "alipay" "wechat" "unionpay" "ecny" "sandbox");
static EN: &[(&str, &[u8])] = clips!("en": "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "10" "11" "12" "13" "14" "15" "16" "17" "18" "19"
    "20" "30" "40" "50" "60" "70" "80" "90" "hundred" "thousand" "million" "point" "yuan" "alipay" "wechat" "unionpay" "ecny" "sandbox");

/// The clip names that say `method` received `fen`, in order.
pub fn phrase(lang: Lang, method: Method, fen: i64) -> Vec<String> {
    let mut out = vec![method.as_str().to_string()];
    let (yuan, frac) = (fen / 100, fen % 100);
    match lang {
        Lang::Zh => out.extend(zh_integer(yuan)),
        Lang::En => out.extend(en_integer(yuan)),
    }
    if frac != 0 {
        out.push("point".into());
        out.push((frac / 10).to_string());
        if frac % 10 != 0 {
            out.push((frac % 10).to_string());
        }
    }
    out.push("yuan".into());
    out
}

/// The text the clips say (shown in the UI beside the re-announce button).
pub fn text(lang: Lang, method: Method, fen: i64) -> String {
    let amount = paydesk_core::Money::from_fen(fen).map(|m| m.to_string()).unwrap_or_default();
    let name = match (lang, method) {
        (Lang::Zh, Method::Alipay) => "支付宝到账",
        (Lang::Zh, Method::Wechat) => "微信到账",
        (Lang::Zh, Method::Unionpay) => "云闪付到账",
        (Lang::Zh, Method::Ecny) => "数字人民币到账",
        (Lang::Zh, Method::Sandbox) => "收款到账",
        (Lang::En, Method::Alipay) => "Alipay received",
        (Lang::En, Method::Wechat) => "WeChat Pay received",
        (Lang::En, Method::Unionpay) => "UnionPay received",
        (Lang::En, Method::Ecny) => "e-CNY received",
        (Lang::En, Method::Sandbox) => "Payment received",
        // Tenders are never announced (the cashier holds the money); worded for completeness.
        (Lang::Zh, Method::Cash) => "现金收款",
        (Lang::Zh, Method::Card) => "刷卡收款",
        (Lang::Zh, Method::Voucher) => "代金券收款",
        (Lang::En, Method::Cash) => "Cash received",
        (Lang::En, Method::Card) => "Card received",
        (Lang::En, Method::Voucher) => "Voucher received",
    };
    match lang {
        Lang::Zh => format!("{name} {amount} 元"),
        Lang::En => format!("{name} {amount} yuan"),
    }
}

/// Chinese reading of a whole number: 一千零五, 十二, 两万 is read 二万 (as payment speakers do).
fn zh_integer(n: i64) -> Vec<String> {
    if n == 0 {
        return vec!["0".into()];
    }
    let mut out = Vec::new();
    let (yi, wan, rest) = (n / 100_000_000, (n / 10_000) % 10_000, n % 10_000);
    let mut need_zero = false;
    if yi > 0 {
        out.extend(zh_below_10k(yi, false));
        out.push("100000000".into());
        need_zero = wan < 1000;
    }
    if wan > 0 {
        out.extend(zh_below_10k(wan, need_zero && !out.is_empty()));
        out.push("10000".into());
        need_zero = rest < 1000;
    } else if yi > 0 {
        need_zero = true;
    }
    if rest > 0 {
        out.extend(zh_below_10k(rest, need_zero && !out.is_empty()));
    }
    out
}

fn zh_below_10k(n: i64, lead_zero: bool) -> Vec<String> {
    let digits = [n / 1000, (n / 100) % 10, (n / 10) % 10, n % 10];
    let units = ["1000", "100", "10", ""];
    let mut out = Vec::new();
    let mut zero = lead_zero;
    let top = digits.iter().position(|d| *d != 0).unwrap_or(3);
    for i in top..4 {
        let d = digits[i];
        if d == 0 {
            zero = true;
            continue;
        }
        if zero && !out.is_empty() || (zero && lead_zero && out.is_empty()) {
            out.push("0".into());
        }
        zero = false;
        // 十二 rather than 一十二 when the number starts with the tens.
        let bare_ten = i == 2 && d == 1 && out.is_empty() && !lead_zero && n < 20;
        if !bare_ten {
            out.push(d.to_string());
        }
        if !units[i].is_empty() {
            out.push(units[i].into());
        }
    }
    out
}

fn en_below_1000(n: i64) -> Vec<String> {
    let mut out = Vec::new();
    if n >= 100 {
        out.push((n / 100).to_string());
        out.push("hundred".into());
    }
    let r = n % 100;
    if r >= 20 {
        out.push((r / 10 * 10).to_string());
        if r % 10 != 0 {
            out.push((r % 10).to_string());
        }
    } else if r > 0 {
        out.push(r.to_string());
    }
    out
}

fn en_integer(n: i64) -> Vec<String> {
    if n == 0 {
        return vec!["0".into()];
    }
    let mut out = Vec::new();
    for (scale, name) in [(1_000_000, "million"), (1_000, "thousand")] {
        if n / scale % 1000 > 0 || (scale == 1_000_000 && n >= scale) {
            out.extend(en_below_1000(n / scale % if scale == 1_000_000 { i64::MAX } else { 1000 }));
            out.push(name.into());
        }
    }
    out.extend(en_below_1000(n % 1000));
    out
}

/// Concatenates the clips' samples with a short pause between words. Unknown names are skipped.
pub fn compose(lang: Lang, names: &[String]) -> Vec<i16> {
    let table = match lang {
        Lang::Zh => ZH,
        Lang::En => EN,
    };
    let gap = vec![0i16; 16_000 / 50]; // 20 ms
    let mut out = Vec::new();
    for n in names {
        if let Some((_, wav)) = table.iter().find(|(k, _)| k == n) {
            out.extend(wav_samples(wav));
            out.extend_from_slice(&gap);
        }
    }
    out
}

/// The PCM samples of a 16-bit mono WAV (the `data` chunk).
fn wav_samples(wav: &[u8]) -> Vec<i16> {
    let mut i = 12;
    while i + 8 <= wav.len() {
        let id = &wav[i..i + 4];
        let len = u32::from_le_bytes([wav[i + 4], wav[i + 5], wav[i + 6], wav[i + 7]]) as usize;
        let body = i + 8;
        if id == b"data" {
            let end = (body + len).min(wav.len());
            return wav[body..end].chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        }
        i = body + len + (len & 1);
    }
    Vec::new()
}

/// The announcer: on/off, language, and the playback thread.
#[derive(Clone)]
pub struct Voice {
    enabled: Arc<AtomicBool>,
    lang: Arc<Mutex<Lang>>,
    tx: mpsc::Sender<Vec<i16>>,
}

impl Voice {
    pub fn new(enabled: bool, lang: Lang) -> Voice {
        let (tx, rx) = mpsc::channel::<Vec<i16>>();
        std::thread::Builder::new()
            .name("voice".into())
            .spawn(move || play_loop(rx))
            .map_err(|e| tracing::warn!("voice thread not started: {e}"))
            .ok();
        Voice { enabled: Arc::new(AtomicBool::new(enabled)), lang: Arc::new(Mutex::new(lang)), tx }
    }

    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn set_lang(&self, lang: Lang) {
        *self.lang.lock().unwrap_or_else(|p| p.into_inner()) = lang;
    }

    /// Announces a paid order if the voice is on; returns what was said.
    pub fn announce(&self, o: &Order) -> Option<String> {
        // Cash, card and voucher are taken by the cashier's own hand: nothing to announce.
        if !self.enabled() || o.method.is_tender() {
            return None;
        }
        Some(self.say(o))
    }

    /// Says it regardless of the switch (the re-announce button).
    pub fn say(&self, o: &Order) -> String {
        let lang = *self.lang.lock().unwrap_or_else(|p| p.into_inner());
        let _ = self.tx.send(compose(lang, &phrase(lang, o.method, o.amount.fen())));
        let t = text(lang, o.method, o.amount.fen());
        tracing::info!(order = %o.order_no, "announced: {t}");
        t
    }
}

fn play_loop(rx: mpsc::Receiver<Vec<i16>>) {
    let mut stream: Option<rodio::OutputStream> = None;
    let mut warned = false;
    while let Ok(samples) = rx.recv() {
        if stream.is_none() {
            match rodio::OutputStreamBuilder::open_default_stream() {
                Ok(mut s) => {
                    s.log_on_drop(false);
                    stream = Some(s);
                }
                Err(e) => {
                    if !warned {
                        tracing::warn!("no sound output, announcements are silent: {e}");
                        warned = true;
                    }
                    continue;
                }
            }
        }
        if let Some(s) = &stream {
            let sink = rodio::Sink::connect_new(s.mixer());
            let data: Vec<f32> = samples.iter().map(|v| f32::from(*v) / 32768.0).collect();
            sink.append(rodio::buffer::SamplesBuffer::new(1, 16_000, data));
            sink.sleep_until_end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zh(fen: i64) -> String {
        phrase(Lang::Zh, Method::Alipay, fen)[1..].iter().map(|c| match c.as_str() {
            "0" => "零", "1" => "一", "2" => "二", "3" => "三", "4" => "四", "5" => "五", "6" => "六", "7" => "七", "8" => "八", "9" => "九",
            "10" => "十", "100" => "百", "1000" => "千", "10000" => "万", "100000000" => "亿", "point" => "点", "yuan" => "元", _ => "?",
        }).collect()
    }

    #[test]
    fn reads_chinese_amounts() {
        assert_eq!(zh(1234), "十二点三四元");
        assert_eq!(zh(1000), "十元");
        assert_eq!(zh(5), "零点零五元");
        assert_eq!(zh(50), "零点五元");
        assert_eq!(zh(10500), "一百零五元");
        assert_eq!(zh(100_050), "一千点五元");
        assert_eq!(zh(2_000_000), "二万元");
        assert_eq!(zh(1_000_500), "一万零五元");
        assert_eq!(zh(1_201_000), "一万二千零一十元");
        assert_eq!(zh(11_100), "一百一十一元");
        assert_eq!(zh(10_000_000_000), "一亿元");
        assert_eq!(zh(10_005_000_000), "一亿零五万元");
        assert_eq!(zh(10_050_000_000), "一亿零五十万元");
    }

    #[test]
    fn reads_english_amounts() {
        let en = |fen| phrase(Lang::En, Method::Wechat, fen).join(" ");
        assert_eq!(en(1234), "wechat 12 point 3 4 yuan");
        assert_eq!(en(123_405), "wechat 1 thousand 2 hundred 30 4 point 0 5 yuan");
        assert_eq!(en(100_000_000), "wechat 1 million yuan");
        assert_eq!(en(7), "wechat 0 point 0 7 yuan");
    }

    #[test]
    fn every_clip_named_exists_and_composes() {
        for fen in [1, 5, 1234, 100_050, 123_456_789, 9_999_999_999] {
            for lang in [Lang::Zh, Lang::En] {
                let table = if lang == Lang::Zh { ZH } else { EN };
                for m in Method::WALLETS {
                    for c in phrase(lang, m, fen) {
                        assert!(table.iter().any(|(k, _)| *k == c), "{lang:?} clip {c} missing");
                    }
                }
            }
        }
        let s = compose(Lang::Zh, &phrase(Lang::Zh, Method::Alipay, 1234));
        assert!(s.len() > 16_000, "at least a second of speech, got {} samples", s.len());
        assert!(s.iter().any(|v| v.unsigned_abs() > 1000), "not silence");
        assert_eq!(text(Lang::Zh, Method::Alipay, 1234), "支付宝到账 12.34 元");
        assert_eq!(text(Lang::En, Method::Wechat, 1234), "WeChat Pay received 12.34 yuan");
    }
}
