// Text from the book shown on screen. Core refuses control and bidirectional formatting
// characters in what people type (core/src/text.rs), but older rows and what channels send may
// still hold them: on screen they are made visible (`\u{202E}`), never obeyed, so `U+202E` cannot
// turn `exe.txt` into `txt.exe` and a stray escape cannot hide text. Line breaks and tabs stay.

/** C0 controls but tab and line feed, DEL, C1, and the bidi embeddings, overrides, isolates and marks. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

/** `s` with every character that would act written as `\u{XXXX}`. */
export function shown(s: string): string {
  return s.replace(FORBIDDEN, (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}}`);
}
