//! Reads back the ESC/POS subset Paydesk sends ([`crate::escpos`]) into operations: the
//! renderer draws them, and tests compare their text form with golden files. Bytes outside the
//! subset are kept as `Unknown` so a test notices them.

use crate::escpos::{DLE, EOT, ESC, FS, GS, LF};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Init,
    ChineseMode,
    Align(u8),
    Bold(bool),
    /// Width and height multipliers.
    Size(u8, u8),
    /// Text decoded from GBK.
    Text(String),
    LineFeed,
    Feed(u8),
    Qr { module: u8, level: char, data: String },
    /// `data` is the text printed under the bars; `raw` the command's data (code-set switches).
    Code128 { height: u8, module: u8, data: String, raw: Vec<u8> },
    Kick,
    Cut { feed: u8 },
    Status(u8),
    Unknown(Vec<u8>),
}

/// Decodes a job's bytes.
pub fn decode(bytes: &[u8]) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut i = 0;
    let (mut qr_module, mut qr_level, mut qr_data) = (3u8, 'L', String::new());
    let (mut bar_h, mut bar_w) = (162u8, 3u8);
    let mut text: Vec<u8> = Vec::new();
    let at = |k: usize| bytes.get(k).copied().unwrap_or(0);
    while i < bytes.len() {
        let b = bytes[i];
        let is_text = b >= 0x20 || (b >= 0x81);
        if is_text {
            // GBK: a lead byte 0x81–0xFE takes the next byte with it.
            if b >= 0x81 && i + 1 < bytes.len() {
                text.extend_from_slice(&bytes[i..i + 2]);
                i += 2;
            } else {
                text.push(b);
                i += 1;
            }
            continue;
        }
        if !text.is_empty() {
            ops.push(Op::Text(encoding_rs::GBK.decode(&text).0.into_owned()));
            text.clear();
        }
        let (op, len) = match (b, at(i + 1)) {
            (LF, _) => (Op::LineFeed, 1),
            (ESC, b'@') => (Op::Init, 2),
            (FS, b'&') => (Op::ChineseMode, 2),
            (ESC, b'a') => (Op::Align(at(i + 2)), 3),
            (ESC, b'E') => (Op::Bold(at(i + 2) != 0), 3),
            (GS, b'!') => (Op::Size((at(i + 2) >> 4) + 1, (at(i + 2) & 0x0f) + 1), 3),
            (ESC, b'd') => (Op::Feed(at(i + 2)), 3),
            (ESC, b'p') => (Op::Kick, 5),
            (GS, b'V') => (Op::Cut { feed: at(i + 3) }, 4),
            (DLE, EOT) => (Op::Status(at(i + 2)), 3),
            (GS, b'h') => {
                bar_h = at(i + 2);
                i += 3;
                continue;
            }
            (GS, b'w') => {
                bar_w = at(i + 2);
                i += 3;
                continue;
            }
            (GS, b'H') => {
                i += 3;
                continue;
            }
            (GS, b'k') if at(i + 2) == 73 => {
                let n = usize::from(at(i + 3));
                let data = bytes.get(i + 4..i + 4 + n).unwrap_or_default();
                (Op::Code128 { height: bar_h, module: bar_w, data: crate::code128::text(data), raw: data.to_vec() }, 4 + n)
            }
            (GS, b'(') if at(i + 2) == b'k' => {
                let len = usize::from(at(i + 3)) + 256 * usize::from(at(i + 4));
                let body = bytes.get(i + 5..i + 5 + len).unwrap_or_default();
                let total = 5 + len;
                match (body.first(), body.get(1)) {
                    (Some(49), Some(65)) => {}
                    (Some(49), Some(67)) => qr_module = body.get(2).copied().unwrap_or(3),
                    (Some(49), Some(69)) => qr_level = match body.get(2) { Some(49) => 'M', Some(50) => 'Q', Some(51) => 'H', _ => 'L' },
                    (Some(49), Some(80)) => qr_data = String::from_utf8_lossy(body.get(3..).unwrap_or_default()).into_owned(),
                    (Some(49), Some(81)) => {
                        ops.push(Op::Qr { module: qr_module, level: qr_level, data: std::mem::take(&mut qr_data) });
                    }
                    _ => ops.push(Op::Unknown(bytes[i..(i + total).min(bytes.len())].to_vec())),
                }
                i += total;
                continue;
            }
            _ => (Op::Unknown(vec![b]), 1),
        };
        ops.push(op);
        i += len;
    }
    if !text.is_empty() {
        ops.push(Op::Text(encoding_rs::GBK.decode(&text).0.into_owned()));
    }
    ops
}

/// The operations as text, one per line (the golden files' form).
pub fn to_text(ops: &[Op]) -> String {
    let mut out = String::new();
    for op in ops {
        let line = match op {
            Op::Init => "INIT".to_string(),
            Op::ChineseMode => "CHINESE".to_string(),
            Op::Align(a) => format!("ALIGN {}", ["left", "center", "right"].get(usize::from(*a)).unwrap_or(&"?")),
            Op::Bold(b) => format!("BOLD {}", if *b { "on" } else { "off" }),
            Op::Size(w, h) => format!("SIZE {w}x{h}"),
            Op::Text(t) => format!("TEXT |{t}|"),
            Op::LineFeed => "LF".to_string(),
            Op::Feed(n) => format!("FEED {n}"),
            Op::Qr { module, level, data } => format!("QR model=2 module={module} ec={level} |{data}|"),
            Op::Code128 { height, module, data, .. } => format!("CODE128 height={height} module={module} |{data}|"),
            Op::Kick => "DRAWER KICK".to_string(),
            Op::Cut { feed } => format!("CUT partial feed={feed}"),
            Op::Status(n) => format!("STATUS {n}"),
            Op::Unknown(b) => format!("UNKNOWN {b:02x?}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Just the printed words, line by line (for quick checks).
pub fn printed_lines(ops: &[Op]) -> Vec<String> {
    let mut lines = vec![String::new()];
    for op in ops {
        match op {
            Op::Text(t) => lines.last_mut().map(|l| l.push_str(t)).unwrap_or_default(),
            Op::LineFeed => lines.push(String::new()),
            Op::Qr { data, .. } => lines.extend([format!("[QR {data}]"), String::new()]),
            Op::Code128 { data, .. } => lines.extend([format!("[CODE128 {data}]"), String::new()]),
            _ => {}
        }
    }
    lines.retain(|l| !l.is_empty());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escpos::{Align, Escpos, QrLevel};

    #[test]
    fn reads_back_what_the_builder_wrote() {
        let mut e = Escpos::new();
        e.align(Align::Center).size(2, 2).line("小店").size(1, 1).qr("P20261125T1001", 6, QrLevel::M).code128("P20261125T1001", 60, 2).kick().cut(3);
        let text = to_text(&decode(&e.bytes()));
        assert_eq!(
            text,
            "INIT\nCHINESE\nALIGN center\nSIZE 2x2\nTEXT |小店|\nLF\nSIZE 1x1\nQR model=2 module=6 ec=M |P20261125T1001|\nCODE128 height=60 module=2 |P20261125T1001|\nLF\nDRAWER KICK\nCUT partial feed=3\n"
        );
    }
}
