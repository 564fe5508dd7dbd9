//! Reading rows: physical lines from a (possibly gzipped) file, joined when a quoted field
//! spans lines, and split into fields by a strict but forgiving RFC 4180 reader.
//!
//! Lines are the unit because a broken quote must cost one row, not the rest of the file: a
//! record whose quotes do not balance is joined with at most [`MAX_JOIN`] following lines, and
//! if the joined text still does not parse as one row of the right width, only its first line
//! is rejected and the following lines are read on their own.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Longest line kept whole; longer lines are rejected with their first bytes.
pub const MAX_LINE: usize = 1 << 20;
/// Most physical lines one record may span.
pub const MAX_JOIN: usize = 4;

/// A record as read: its first line number and its bytes (physical lines joined by `\n`).
#[derive(Debug, Default, Clone)]
pub struct RawRecord {
    /// Line number of its first line (the header is line 1).
    pub line: u64,
    /// Number of physical lines.
    pub lines: u32,
    /// The bytes, without the final line break.
    pub bytes: Vec<u8>,
    /// The line was longer than [`MAX_LINE`]; `bytes` holds its beginning.
    pub too_long: bool,
}

/// Opens a file, transparently un-gzipping `.gz`.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    let f = std::fs::File::open(path)?;
    let is_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if is_gz {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::new(f)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, f))
    })
}

/// Reads records line by line.
pub struct Records<R: BufRead> {
    inner: R,
    next_line: u64,
    pending: Option<(Vec<u8>, bool)>,
    eof: bool,
}

impl<R: BufRead> Records<R> {
    /// A reader whose first line is line 1.
    pub fn new(inner: R) -> Records<R> {
        Records {
            inner,
            next_line: 1,
            pending: None,
            eof: false,
        }
    }

    /// Reads one physical line (without `\r\n`), capping what is kept at [`MAX_LINE`].
    fn physical(&mut self) -> io::Result<Option<(Vec<u8>, bool)>> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        if self.eof {
            return Ok(None);
        }
        let mut out = Vec::new();
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                self.eof = true;
                break;
            }
            any = true;
            let (chunk, done) = match memchr(b'\n', buf) {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            let room = MAX_LINE.saturating_sub(out.len());
            if chunk.len() > room {
                too_long = true;
            }
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            let used = done.unwrap_or(buf.len());
            self.inner.consume(used);
            if done.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if out.last() == Some(&b'\r') {
            out.pop();
        }
        Ok(Some((out, too_long)))
    }

    /// The next record, joining lines while a quoted field is open.
    pub fn next_record(&mut self) -> io::Result<Option<RawRecord>> {
        let Some((first, too_long)) = self.physical()? else {
            return Ok(None);
        };
        let line = self.next_line;
        self.next_line += 1;
        let mut rec = RawRecord {
            line,
            lines: 1,
            bytes: first,
            too_long,
        };
        let mut quotes = count_quotes(&rec.bytes);
        while quotes % 2 == 1 && !rec.too_long && (rec.lines as usize) < MAX_JOIN {
            let Some((next, long)) = self.physical()? else {
                break;
            };
            let q = count_quotes(&next);
            if long || rec.bytes.len() + next.len() >= MAX_LINE {
                self.pending = Some((next, long));
                break;
            }
            rec.bytes.push(b'\n');
            rec.bytes.extend_from_slice(&next);
            rec.lines += 1;
            self.next_line += 1;
            quotes += q;
        }
        Ok(Some(rec))
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = io::Result<RawRecord>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

fn count_quotes(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'"').count()
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// Why a record could not be split into fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// A quoted field is never closed.
    UnclosedQuote,
    /// Text follows a closing quote before the separator (`"ABC"DEF`).
    TextAfterQuote,
}

/// Fields of one record: unescaped text in one buffer, with the field boundaries.
#[derive(Debug, Default)]
pub struct Fields {
    text: String,
    ends: Vec<usize>,
}

impl Fields {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    /// Field `i`, trimmed; empty if out of range.
    pub fn get(&self, i: usize) -> &str {
        if i >= self.ends.len() {
            return "";
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text[start..self.ends[i]].trim()
    }
    /// Splits `line` by `sep` into these fields (reusing the buffers).
    pub fn split(&mut self, line: &str, sep: char) -> Result<(), SplitError> {
        self.text.clear();
        self.ends.clear();
        let mut chars = line.chars().peekable();
        loop {
            // At the start of a field.
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        None => return Err(SplitError::UnclosedQuote),
                        Some('"') => {
                            if chars.peek() == Some(&'"') {
                                chars.next();
                                self.text.push('"');
                            } else {
                                break;
                            }
                        }
                        Some(c) => self.text.push(c),
                    }
                }
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
                match chars.next() {
                    None => {
                        self.ends.push(self.text.len());
                        return Ok(());
                    }
                    Some(c) if c == sep => self.ends.push(self.text.len()),
                    Some(_) => return Err(SplitError::TextAfterQuote),
                }
            } else {
                // Unquoted: a quote inside is taken literally (SITI "IPAH").
                loop {
                    match chars.next() {
                        None => {
                            self.ends.push(self.text.len());
                            return Ok(());
                        }
                        Some(c) if c == sep => {
                            self.ends.push(self.text.len());
                            break;
                        }
                        Some(c) => self.text.push(c),
                    }
                }
            }
        }
    }
}

/// Reads the first `n` bytes of a file (for encoding detection), un-gzipping `.gz`.
pub fn sample(path: &Path, n: usize) -> io::Result<Vec<u8>> {
    let mut r = open(path)?;
    let mut buf = Vec::with_capacity(n);
    r.by_ref().take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str, sep: char) -> Result<Vec<String>, SplitError> {
        let mut f = Fields::default();
        f.split(s, sep)?;
        Ok((0..f.len()).map(|i| f.get(i).to_owned()).collect())
    }

    fn records(text: &str) -> Vec<(u64, u32, String)> {
        Records::new(text.as_bytes())
            .map(|r| r.expect("reads"))
            .map(|r| (r.line, r.lines, String::from_utf8(r.bytes).expect("utf8")))
            .collect()
    }

    #[test]
    fn fields_follow_rfc_4180() {
        assert_eq!(
            split("a,b,,d", ','),
            Ok(vec!["a".into(), "b".into(), "".into(), "d".into()])
        );
        assert_eq!(
            split("\"SUPARMAN, S.PD.\",2", ','),
            Ok(vec!["SUPARMAN, S.PD.".into(), "2".into()])
        );
        assert_eq!(
            split("\"say \"\"hi\"\"\"|x", '|'),
            Ok(vec!["say \"hi\"".into(), "x".into()])
        );
        assert_eq!(
            split("SITI \"IPAH\";2", ';'),
            Ok(vec!["SITI \"IPAH\"".into(), "2".into()])
        );
        assert_eq!(split("", ','), Ok(vec!["".into()]));
        assert_eq!(split("a,", ','), Ok(vec!["a".into(), "".into()]));
    }

    #[test]
    fn broken_quotes_are_errors() {
        assert_eq!(
            split("a,\"never closed,b", ','),
            Err(SplitError::UnclosedQuote)
        );
        assert_eq!(split("\"ABC\"DEF,b", ','), Err(SplitError::TextAfterQuote));
    }

    #[test]
    fn lines_are_numbered_and_crlf_stripped() {
        let r = records("h1,h2\r\na,b\r\nc,d");
        assert_eq!(
            r,
            vec![
                (1, 1, "h1,h2".into()),
                (2, 1, "a,b".into()),
                (3, 1, "c,d".into())
            ]
        );
    }

    #[test]
    fn a_quoted_field_may_span_lines() {
        let r = records("a,\"line one\nline two\",c\nd,e,f\n");
        assert_eq!(
            r,
            vec![
                (1, 2, "a,\"line one\nline two\",c".into()),
                (3, 1, "d,e,f".into())
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_swallows_at_most_a_few_lines() {
        let text = "a,\"broken,c\nd,e,f\ng,h,i\nj,k,l\nm,n,o\np,q,r\n";
        let r = records(text);
        assert_eq!(r[0].0, 1);
        assert_eq!(r[0].1 as usize, MAX_JOIN);
        assert_eq!(r[1].0, 1 + MAX_JOIN as u64);
    }

    #[test]
    fn a_huge_line_is_cut_not_kept_whole() {
        let mut text = "x".repeat(MAX_LINE + 10);
        text.push_str("\nnext\n");
        let mut rd = Records::new(text.as_bytes());
        let first = rd.next_record().expect("io").expect("record");
        assert!(first.too_long);
        assert_eq!(first.bytes.len(), MAX_LINE);
        let second = rd.next_record().expect("io").expect("record");
        assert_eq!((second.line, second.bytes.as_slice()), (2, &b"next"[..]));
    }
}
