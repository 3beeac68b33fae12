//! The ESC/POS commands Paydesk sends, as a byte builder. Text is encoded in GBK (the code page
//! of Chinese thermal printers, selected with `FS &`); anything GBK cannot hold becomes `?`.
//!
//! | bytes | command |
//! |---|---|
//! | `ESC @` | initialise |
//! | `FS &` | Chinese (two-byte GBK) character mode |
//! | `ESC a n` | align left / centre / right |
//! | `ESC E n` | bold on / off |
//! | `GS ! n` | character size: width and height multipliers 1–8 |
//! | `LF`, `ESC d n` | line feed, feed n lines |
//! | `GS ( k` | QR code, model 2: module size, error correction, store data, print |
//! | `GS h`, `GS w`, `GS H`, `GS k 73` | CODE128 barcode (code sets B and C, [`crate::code128`]), height, module width, text below |
//! | `ESC p 0 t1 t2` | kick the cash drawer (pin 2) |
//! | `GS V 66 n` | feed n and cut (partial) |
//! | `DLE EOT n` | real-time status (asked before a job on the network) |

pub const ESC: u8 = 0x1b;
pub const GS: u8 = 0x1d;
pub const FS: u8 = 0x1c;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;
pub const LF: u8 = 0x0a;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left = 0,
    Center = 1,
    Right = 2,
}

/// QR error correction levels (`GS ( k` function 69).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrLevel {
    L = 48,
    M = 49,
    Q = 50,
    H = 51,
}

/// Encodes text in GBK; characters outside it print as `?` (`¥` as the full-width `￥` GBK has).
pub fn gbk(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for ch in s.chars() {
        let ch = if ch == '¥' { '￥' } else { ch };
        let mut buf = [0u8; 4];
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(ch.encode_utf8(&mut buf));
        if unmappable || ch.is_control() {
            out.push(b'?');
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

/// A job's bytes, command by command.
#[derive(Clone, Debug, Default)]
pub struct Escpos {
    buf: Vec<u8>,
}

impl Escpos {
    /// Starts a job: initialise, Chinese mode.
    pub fn new() -> Escpos {
        Escpos { buf: vec![ESC, b'@', FS, b'&'] }
    }

    pub fn bytes(self) -> Vec<u8> {
        self.buf
    }

    pub fn align(&mut self, a: Align) -> &mut Self {
        self.buf.extend_from_slice(&[ESC, b'a', a as u8]);
        self
    }

    pub fn bold(&mut self, on: bool) -> &mut Self {
        self.buf.extend_from_slice(&[ESC, b'E', u8::from(on)]);
        self
    }

    /// Width and height multipliers, 1 to 8.
    pub fn size(&mut self, w: u8, h: u8) -> &mut Self {
        let (w, h) = (w.clamp(1, 8) - 1, h.clamp(1, 8) - 1);
        self.buf.extend_from_slice(&[GS, b'!', (w << 4) | h]);
        self
    }

    /// Text without a line end (GBK).
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.buf.extend(gbk(s));
        self
    }

    pub fn line(&mut self, s: &str) -> &mut Self {
        self.text(s);
        self.buf.push(LF);
        self
    }

    pub fn feed(&mut self, n: u8) -> &mut Self {
        self.buf.extend_from_slice(&[ESC, b'd', n]);
        self
    }

    /// A QR code (model 2) of `data` with modules of `module` dots.
    pub fn qr(&mut self, data: &str, module: u8, level: QrLevel) -> &mut Self {
        let d = data.as_bytes();
        let len = d.len() + 3;
        self.buf.extend_from_slice(&[GS, b'(', b'k', 4, 0, 49, 65, 50, 0]);
        self.buf.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 67, module.clamp(1, 16)]);
        self.buf.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 69, level as u8]);
        self.buf.extend_from_slice(&[GS, b'(', b'k', (len % 256) as u8, (len / 256) as u8, 49, 80, 48]);
        self.buf.extend_from_slice(d);
        self.buf.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48]);
        self
    }

    /// A CODE128 barcode of `data` (printable ASCII; runs of digits in code set C), its text
    /// printed below.
    pub fn code128(&mut self, data: &str, height: u8, module: u8) -> &mut Self {
        let mut d = crate::code128::encode(data);
        d.truncate(253);
        self.buf.extend_from_slice(&[GS, b'h', height, GS, b'w', module.clamp(1, 6), GS, b'H', 2]);
        self.buf.extend_from_slice(&[GS, b'k', 73, d.len() as u8]);
        self.buf.extend_from_slice(&d);
        self.buf.push(LF);
        self
    }

    /// Opens the cash drawer wired to the printer (pin 2, 50 ms on, 500 ms off).
    pub fn kick(&mut self) -> &mut Self {
        self.buf.extend_from_slice(&[ESC, b'p', 0, 25, 250]);
        self
    }

    /// Feeds `n` lines and cuts (partial cut).
    pub fn cut(&mut self, n: u8) -> &mut Self {
        self.buf.extend_from_slice(&[GS, b'V', 66, n]);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_gbk_and_commands_are_exact() {
        assert_eq!(gbk("小店 A1"), vec![0xd0, 0xa1, 0xb5, 0xea, b' ', b'A', b'1']);
        assert_eq!(gbk("₿\u{1}"), b"??".to_vec(), "outside GBK or control: ?");
        assert_eq!(gbk("¥"), gbk("￥"));
        let mut e = Escpos::new();
        e.align(Align::Center).bold(true).size(2, 2).kick().cut(3);
        assert_eq!(e.bytes(), vec![ESC, b'@', FS, b'&', ESC, b'a', 1, ESC, b'E', 1, GS, b'!', 0x11, ESC, b'p', 0, 25, 250, GS, b'V', 66, 3]);
        let mut q = Escpos { buf: Vec::new() };
        q.qr("P1", 6, QrLevel::M);
        let b = q.bytes();
        assert_eq!(&b[..9], &[GS, b'(', b'k', 4, 0, 49, 65, 50, 0], "model 2");
        assert_eq!(&b[25..35], &[GS, b'(', b'k', 5, 0, 49, 80, 48, b'P', b'1'], "store: pL = data + 3");
    }
}
