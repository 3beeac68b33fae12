//! CODE128 (ISO/IEC 15417) as the printer's `GS k 73` command takes it and as it prints: the
//! data bytes with code-set switches (`{B` text, `{C` digit pairs as values 0–99, `{{` a brace),
//! the symbol values with the check symbol, and the bars. Invariant: [`encode`] chooses code set C
//! for runs of digits, so an order number (`P` + 17 digits + till + 3 digits) stays narrow enough
//! for 80 mm paper at two dots per module; [`text`] reads back exactly the text that was encoded.

/// Bar and space widths (modules) of symbol values 0–105; 106 is the stop (with its final bar).
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213", // 0
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132", // 10
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211", // 20
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313", // 30
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331", // 40
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111", // 50
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214", // 60
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", // 70
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141", // 80
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141", // 90
    "114131", "311141", "411131", "211412", "211214", "211232", "2331112", // 100: code B/C switches, starts, stop
];

const CODE_C: u8 = 99;
const CODE_B: u8 = 100;
const START_B: u8 = 104;
const START_C: u8 = 105;
const STOP: u8 = 106;

/// Quiet zone on each side, modules.
pub const QUIET: usize = 10;

/// The `GS k 73` data for `text` (printable ASCII; anything else is left out).
pub fn encode(text: &str) -> Vec<u8> {
    let t: Vec<u8> = text.bytes().filter(|b| (32..127).contains(b)).collect();
    let mut out = Vec::new();
    let mut in_c: Option<bool> = None;
    let mut i = 0;
    while i < t.len() {
        let run = t[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let edge = i == 0 || i + run == t.len();
        if run >= 6 || (run >= 4 && edge) || (run >= 2 && run == t.len()) {
            // An odd run keeps its first digit in code set B.
            if run % 2 == 1 {
                if in_c != Some(false) {
                    out.extend_from_slice(b"{B");
                    in_c = Some(false);
                }
                out.push(t[i]);
                i += 1;
            }
            if in_c != Some(true) {
                out.extend_from_slice(b"{C");
                in_c = Some(true);
            }
            for pair in t[i..i + run / 2 * 2].chunks(2) {
                out.push((pair[0] - b'0') * 10 + (pair[1] - b'0'));
            }
            i += run / 2 * 2;
            continue;
        }
        if in_c != Some(false) {
            out.extend_from_slice(b"{B");
            in_c = Some(false);
        }
        let n = run.max(1);
        for &b in &t[i..i + n] {
            if b == b'{' {
                out.push(b'{');
            }
            out.push(b);
        }
        i += n;
    }
    out
}

/// The symbol values the printer makes of `data`: start, data and switches, check, stop. `None`
/// for data it would refuse (no code set first, a value out of range).
pub fn symbols(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut in_c = None;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b == b'{' && i + 1 < data.len() && data[i + 1] != b'{' {
            let c = match data[i + 1] {
                b'B' => false,
                b'C' => true,
                _ => return None,
            };
            out.push(match (in_c, c) {
                (None, false) => START_B,
                (None, true) => START_C,
                (Some(_), false) => CODE_B,
                (Some(_), true) => CODE_C,
            });
            in_c = Some(c);
            i += 2;
            continue;
        }
        let step = if b == b'{' { 2 } else { 1 };
        match in_c? {
            true if b <= 99 => out.push(b),
            false if (32..127).contains(&b) => out.push(b - 32),
            _ => return None,
        }
        i += step;
    }
    let first = *out.first()?;
    let sum = out.iter().skip(1).enumerate().fold(u32::from(first), |s, (k, &v)| s + (k as u32 + 1) * u32::from(v));
    out.push((sum % 103) as u8);
    out.push(STOP);
    Some(out)
}

/// The human-readable text of `data` (what is printed under the bars).
pub fn text(data: &[u8]) -> String {
    let mut out = String::new();
    let mut in_c = false;
    let mut i = 0;
    while i < data.len() {
        match (data[i], data.get(i + 1)) {
            (b'{', Some(b'B')) => in_c = false,
            (b'{', Some(b'C')) => in_c = true,
            (b'{', Some(b'{')) => out.push('{'),
            (b, _) if in_c => {
                out.push_str(&format!("{b:02}"));
                i += 1;
                continue;
            }
            (b, _) => {
                out.push(char::from(b));
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    out
}

/// The bars, one entry per module (`true` is a bar), without the quiet zones.
pub fn modules(symbols: &[u8]) -> Vec<bool> {
    let mut out = Vec::new();
    for &s in symbols {
        for (k, w) in PATTERNS[usize::from(s).min(STOP as usize)].bytes().enumerate() {
            out.extend(std::iter::repeat_n(k % 2 == 0, usize::from(w - b'0')));
        }
    }
    out
}

/// Width of the printed barcode in modules, quiet zones included (0 for data the printer refuses).
pub fn width(data: &[u8]) -> usize {
    symbols(data).map_or(0, |s| modules(&s).len() + 2 * QUIET)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_eleven_modules() {
        assert!(PATTERNS[..106].iter().all(|p| p.bytes().map(|b| u32::from(b - b'0')).sum::<u32>() == 11));
        assert_eq!(PATTERNS[106].bytes().map(|b| u32::from(b - b'0')).sum::<u32>(), 13);
    }

    #[test]
    fn digits_go_in_pairs_and_read_back() {
        let no = "P20261125140512000T1001";
        let d = encode(no);
        let mut want = b"{BP2{C".to_vec();
        want.extend([2, 61, 12, 51, 40, 51, 20, 0]);
        want.extend(b"{BT{C");
        want.extend([10, 1]);
        assert_eq!(d, want);
        assert_eq!(text(&d), no);
        // Start B and 16 more symbols, the check, the stop: 18 × 11 + 13 modules.
        let s = symbols(&d).unwrap();
        assert_eq!((s[0], s.len(), *s.last().unwrap()), (START_B, 19, STOP));
        assert_eq!(modules(&s).len(), 18 * 11 + 13);
        assert!(width(&d) * 2 <= 576, "fits 80 mm at 2 dots a module");
        // The check symbol: (104 + 1·48 + 2·42 + 3·42 + 4·17 + 5·18 + 6·19 + 7·35) mod 103 = 879 mod 103.
        assert_eq!(symbols(b"{BPJJ123C").unwrap()[8], 55);
        assert_eq!(text(&encode("a{b")), "a{b");
        assert_eq!(encode("12"), [b'{', b'C', 12]);
        assert_eq!(symbols(b"AB"), None, "no code set chosen");
    }
}
