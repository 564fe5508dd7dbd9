//! Text encodings seen in the field: UTF-8, UTF-8 with a byte-order mark, and Windows-1252
//! (Excel exports). Detected per file from a sample, then checked per line: a line that is not
//! valid UTF-8 in a UTF-8 file is read as Windows-1252 and flagged, never dropped.

use std::borrow::Cow;

/// The encoding of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with EF BB BF.
    Utf8Bom,
    /// Windows-1252 (a superset of ISO-8859-1 in 0x80–0x9F).
    Windows1252,
    /// Both: valid UTF-8 characters and bytes that are not UTF-8 (files pasted together).
    Mixed,
}

impl Encoding {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Mixed => "mixed",
        }
    }
}

/// Detects the encoding from the first bytes of a file.
pub fn detect(sample: &[u8]) -> Encoding {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Bom;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => Encoding::Utf8,
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => {
            let has_utf8 = String::from_utf8_lossy(sample)
                .chars()
                .any(|c| c as u32 >= 0x80 && c != '\u{FFFD}');
            if has_utf8 {
                Encoding::Mixed
            } else {
                Encoding::Windows1252
            }
        }
    }
}

/// Windows-1252 code points for bytes 0x80–0x9F (0 = undefined, read as U+FFFD).
const CP1252_HIGH: [u32; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
    0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

/// Decodes Windows-1252 bytes.
pub fn windows_1252(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 8);
    for &b in bytes {
        let c = match b {
            0x00..=0x7F => b as u32,
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
            _ => b as u32,
        };
        s.push(
            char::from_u32(c)
                .filter(|_| c != 0 || b == 0)
                .unwrap_or('\u{FFFD}'),
        );
    }
    s
}

/// Decodes one line: UTF-8 when it is valid UTF-8 (a Windows-1252 line with accented
/// letters practically never is), else Windows-1252. Returns the text and whether it fell back
/// to Windows-1252 in a file that is not all Windows-1252 (worth a warning).
pub fn decode(line: &[u8], enc: Encoding) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(line) {
        Ok(s) => (Cow::Borrowed(s), false),
        Err(_) => (Cow::Owned(windows_1252(line)), enc != Encoding::Windows1252),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_detected() {
        assert_eq!(detect(b"\xEF\xBB\xBFNIK,NAMA"), Encoding::Utf8Bom);
        assert_eq!(detect("NIK,NAMA,MA\u{2019}RUF".as_bytes()), Encoding::Utf8);
        assert_eq!(detect(b"NIK;NAMA;MA\x92RUF"), Encoding::Windows1252);
        assert_eq!(
            detect(
                "NIK;MA\u{2019}RUF\nMA"
                    .as_bytes()
                    .iter()
                    .chain(b"\x92RUF")
                    .copied()
                    .collect::<Vec<u8>>()
                    .as_slice()
            ),
            Encoding::Mixed
        );
        // A UTF-8 character cut by the end of the sample.
        assert_eq!(detect(&"AB\u{2019}".as_bytes()[..3]), Encoding::Utf8);
    }

    #[test]
    fn windows_1252_decodes_its_typographic_characters() {
        assert_eq!(
            windows_1252(b"MA\x92RUF \x96 \xE9"),
            "MA\u{2019}RUF \u{2013} \u{e9}"
        );
        assert_eq!(windows_1252(b"\x81"), "\u{FFFD}");
    }

    #[test]
    fn a_bad_line_in_a_utf8_file_falls_back_and_says_so() {
        let (s, fell_back) = decode(b"MA\x92RUF", Encoding::Utf8);
        assert_eq!(s, "MA\u{2019}RUF");
        assert!(fell_back);
        let (s, fell_back) = decode("MA\u{2019}RUF".as_bytes(), Encoding::Utf8);
        assert_eq!(s, "MA\u{2019}RUF");
        assert!(!fell_back);
    }
}
