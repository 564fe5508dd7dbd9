//! Reading rows: physical lines from a (possibly gzipped) file, joined when a quoted field
//! spans lines, and split into fields by a strict but forgiving RFC 4180 reader.
//!
//! Lines are the unit because a broken quote must cost one row, not the rest of the file: a
//! record whose quotes do not balance is joined with at most [`MAX_JOIN`] following lines, and
//! if the joined text still does not parse as one row of the right width, only its first line
//! is rejected and the following lines are read on their own.

use std::io::{self, BufReader, Read};
use std::path::Path;

/// Longest line kept whole; longer lines are rejected with their first bytes.
pub const MAX_LINE: usize = 1 << 20;
/// Most physical lines one record may span.
pub const MAX_JOIN: usize = 4;

/// Where a record lies in a [`Block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rec {
    /// Line number of its first line (the header is line 1).
    pub line: u64,
    /// Number of physical lines.
    pub lines: u32,
    /// Start offset in the block's data.
    pub start: usize,
    /// End offset (exclusive), without the final line break.
    pub end: usize,
    /// The line was longer than [`MAX_LINE`]; the range holds its beginning.
    pub too_long: bool,
}

/// A run of whole records read in one go: the bytes, and where each record lies in them.
#[derive(Debug, Default)]
pub struct Block {
    /// The bytes.
    pub data: Vec<u8>,
    /// The records, in file order.
    pub recs: Vec<Rec>,
    /// Where the bytes' buffer goes back when the block is dropped.
    pool: Option<BufferPool>,
}

impl Drop for Block {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.put(std::mem::take(&mut self.data));
        }
    }
}

/// Buffers given back to be filled again, shared between threads. On the input side
/// (block buffers) a reader then reuses memory the process already has instead of taking
/// (and the kernel zeroing) fresh pages for every block, and a reused buffer is only zeroed
/// where it has to grow; on the output side (converted chunks) a buffer is taken only when
/// it is large enough, since growing it would copy its old capacity, empty as it is, into
/// fresh memory. Buffers come back as they were left (with their bytes).
#[derive(Clone, Debug)]
pub struct BufferPool {
    bufs: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    /// Buffers kept at most.
    keep: usize,
    /// Smaller buffers are not kept.
    min_capacity: usize,
}

impl Default for BufferPool {
    /// A pool for block buffers (blocks in flight: read ahead, converting, carried).
    fn default() -> BufferPool {
        BufferPool::new(8, 1)
    }
}

impl BufferPool {
    /// A pool keeping at most `keep` buffers of at least `min_capacity` bytes.
    pub fn new(keep: usize, min_capacity: usize) -> BufferPool {
        BufferPool {
            bufs: Default::default(),
            keep,
            min_capacity,
        }
    }

    /// The last buffer given back, with its bytes, or a new empty one.
    pub fn take(&self) -> Vec<u8> {
        self.bufs
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    /// An empty buffer of at least `capacity` bytes: the last one given back if it is large
    /// enough, else a new one.
    pub fn take_empty(&self, capacity: usize) -> Vec<u8> {
        let mut buf = Some(self.take())
            .filter(|b| b.capacity() >= capacity)
            .unwrap_or_else(|| Vec::with_capacity(capacity));
        buf.clear();
        buf
    }

    /// Gives a buffer back (dropped if small or if the pool is full).
    pub fn put(&self, buf: Vec<u8>) {
        if buf.capacity() < self.min_capacity.max(1) {
            return;
        }
        if let Ok(mut p) = self.bufs.lock() {
            if p.len() < self.keep {
                p.push(buf);
            }
        }
    }
}

impl Block {
    /// The bytes of a record.
    pub fn bytes(&self, r: &Rec) -> &[u8] {
        &self.data[r.start..r.end]
    }
}

/// Opens a file, transparently un-gzipping `.gz`.
pub fn open(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let f = std::fs::File::open(path)?;
    let is_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if is_gz {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            f,
        )))
    } else {
        Box::new(f)
    })
}

/// Reads a file in blocks of whole records, without copying each line.
pub struct Records<R: Read> {
    inner: R,
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
    skipping: bool,
    pool: Option<BufferPool>,
}

impl<R: Read> Records<R> {
    /// A reader whose first line is line 1.
    pub fn new(inner: R) -> Records<R> {
        Records {
            inner,
            carry: Vec::new(),
            next_line: 1,
            eof: false,
            skipping: false,
            pool: None,
        }
    }

    /// A reader whose blocks' buffers come from `pool` and go back to it when dropped.
    pub fn with_pool(inner: R, pool: BufferPool) -> Records<R> {
        Records {
            pool: Some(pool),
            ..Records::new(inner)
        }
    }

    /// The next block of about `want` bytes of whole records; `None` at the end.
    pub fn next_block(&mut self, want: usize) -> io::Result<Option<Block>> {
        loop {
            // The carried tail first, then what is read after it. A buffer from the pool
            // still holds its last block's bytes: overwritten, not zeroed first.
            let mut data = match &self.pool {
                Some(pool) => pool.take(),
                None => Vec::new(),
            };
            let mut filled = self.carry.len();
            let size = if self.eof {
                filled
            } else {
                filled + want.max(1 << 16)
            };
            if data.len() < size {
                data.resize(size, 0);
            } else {
                data.truncate(size);
            }
            data[..filled].copy_from_slice(&self.carry);
            self.carry.clear();
            if !self.eof {
                while filled < data.len() {
                    match self.inner.read(&mut data[filled..]) {
                        Ok(0) => {
                            self.eof = true;
                            break;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                data.truncate(filled);
            }
            if data.is_empty() {
                if let Some(pool) = &self.pool {
                    pool.put(data);
                }
                return Ok(None);
            }
            let mut block = Block {
                data,
                recs: Vec::new(),
                pool: self.pool.clone(),
            };
            let mut pos = 0;
            if self.skipping {
                // The rest of a line already reported as too long.
                match memchr(b'\n', &block.data) {
                    Some(i) => {
                        pos = i + 1;
                        self.skipping = false;
                    }
                    None if self.eof => return Ok(None),
                    None => continue,
                }
            }
            pos = self.split(&mut block, pos);
            self.carry.extend_from_slice(&block.data[pos..]);
            block
                .data
                .truncate(pos.max(block.recs.last().map_or(0, |r| r.end)));
            if !block.recs.is_empty() || self.eof && self.carry.is_empty() {
                return Ok(Some(block).filter(|b| !b.recs.is_empty()));
            }
        }
    }

    /// Finds the records in `block.data[pos..]`; returns where the unfinished tail starts.
    fn split(&mut self, block: &mut Block, mut pos: usize) -> usize {
        let data = &block.data;
        // Most files have no quotes at all: count them only in lines that reach the next one.
        let mut next_quote = memchr(b'"', &data[pos..]).map_or(usize::MAX, |i| pos + i);
        while pos < data.len() {
            let Some(nl) = memchr(b'\n', &data[pos..]).map(|i| pos + i) else {
                if data.len() - pos > MAX_LINE {
                    // A line longer than we keep: report its beginning, skip the rest.
                    block.recs.push(Rec {
                        line: self.next_line,
                        lines: 1,
                        start: pos,
                        end: pos + MAX_LINE,
                        too_long: true,
                    });
                    self.next_line += 1;
                    self.skipping = !self.eof;
                    return data.len();
                }
                if !self.eof {
                    return pos; // carried into the next block
                }
                let end = trim_cr(data, pos, data.len());
                block.recs.push(Rec {
                    line: self.next_line,
                    lines: 1,
                    start: pos,
                    end,
                    too_long: false,
                });
                self.next_line += 1;
                return data.len();
            };
            if nl - pos > MAX_LINE {
                block.recs.push(Rec {
                    line: self.next_line,
                    lines: 1,
                    start: pos,
                    end: pos + MAX_LINE,
                    too_long: true,
                });
                self.next_line += 1;
                pos = nl + 1;
                continue;
            }
            // Join following lines while a quoted field is open, up to MAX_JOIN lines.
            if next_quote < pos {
                next_quote = memchr(b'"', &data[pos..]).map_or(usize::MAX, |i| pos + i);
            }
            let mut quotes = if next_quote < nl {
                count_quotes(&data[pos..nl])
            } else {
                0
            };
            let mut end = nl;
            let mut lines = 1u32;
            while quotes % 2 == 1 && (lines as usize) < MAX_JOIN {
                match memchr(b'\n', &data[end + 1..]).map(|i| end + 1 + i) {
                    Some(next) if next - pos <= MAX_LINE => {
                        quotes += count_quotes(&data[end + 1..next]);
                        end = next;
                        lines += 1;
                    }
                    Some(_) => break,
                    None if !self.eof => return pos, // finish the record in the next block
                    None => {
                        if data.len() > end + 1 {
                            end = data.len();
                            lines += 1;
                        }
                        break;
                    }
                }
            }
            let stop = trim_cr(data, pos, end);
            block.recs.push(Rec {
                line: self.next_line,
                lines,
                start: pos,
                end: stop,
                too_long: false,
            });
            self.next_line += u64::from(lines);
            pos = (end + 1).min(data.len());
        }
        pos
    }

    /// The first record alone (the header), as owned bytes.
    pub fn header(&mut self) -> io::Result<Option<Vec<u8>>> {
        // Read a small first block so that only the header is consumed from it.
        let Some(mut block) = self.next_block(1 << 16)? else {
            return Ok(None);
        };
        let first = block.recs[0];
        let header = block.data[first.start..first.end].to_vec();
        // Put the rest back in front of what comes next.
        let rest_start = block.recs.get(1).map_or(block.data.len(), |r| r.start);
        let mut rest = block.data.split_off(rest_start);
        rest.extend_from_slice(&self.carry);
        self.carry = rest;
        self.next_line = first.line + u64::from(first.lines);
        Ok(Some(header))
    }
}

fn trim_cr(data: &[u8], start: usize, end: usize) -> usize {
    if end > start && data[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

fn count_quotes(b: &[u8]) -> usize {
    memchr::memchr_iter(b'"', b).count()
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// Why a record could not be split into fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// A quoted field is never closed.
    UnclosedQuote,
    /// Text follows a closing quote before the separator (`"ABC"DEF`).
    TextAfterQuote,
}

/// Fields of one record: unescaped text in one buffer, each field followed by one separator
/// byte, and where each field ends (the next starts one byte later).
#[derive(Debug, Default)]
pub struct Fields {
    text: String,
    ends: Vec<u32>,
    /// No byte of the line is a control character (below 0x20).
    clean: bool,
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
    #[inline(always)]
    pub fn get(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize + 1,
        };
        trimmed(&self.text, start, end as usize)
    }
    /// Whether no field holds a control character (tab, line break, ...): then a field can
    /// be written into a TSV file as it is.
    pub fn clean(&self) -> bool {
        self.clean
    }
    /// Splits `line` by `sep` into these fields (reusing the buffers). Works on bytes: the
    /// separator and the quote are ASCII, and UTF-8 never uses ASCII bytes inside a character.
    pub fn split(&mut self, line: &str, sep: char) -> Result<(), SplitError> {
        self.split_known(line, sep, memchr::memchr(b'"', line.as_bytes()).is_some())
    }

    /// [`Fields::split`] when the caller knows whether the line holds a quote (`quotes`
    /// false: it holds none).
    pub fn split_known(&mut self, line: &str, sep: char, quotes: bool) -> Result<(), SplitError> {
        self.text.clear();
        self.ends.clear();
        let sep = sep as u8;
        let b = line.as_bytes();
        if !quotes {
            // The line itself: fields already end at their separators.
            self.text.push_str(line);
            // Eight bytes at a time: lines are short, so a word-at-a-time scan beats both a
            // byte loop and a vector search set up per separator.
            let pattern = u64::from(sep) * 0x0101_0101_0101_0101;
            let mut base = 0;
            let mut words = b.chunks_exact(8);
            // Control characters are looked for in the same pass.
            let mut found = 0u64;
            for w in words.by_ref() {
                let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                found |= controls(w);
                // Separator bytes become zero; a zero byte, and only a zero byte, keeps its
                // high bit clear through `(x & 7F) + 7F` and has it clear in `x` (exact,
                // with no carry between bytes: no need to check each hit).
                let x = w ^ pattern;
                let low = 0x7F7F_7F7F_7F7F_7F7F;
                let mut hits = !((x & low).wrapping_add(low) | x | low);
                while hits != 0 {
                    self.ends.push(base as u32 + hits.trailing_zeros() / 8);
                    hits &= hits - 1;
                }
                base += 8;
            }
            for (k, &c) in words.remainder().iter().enumerate() {
                if c == sep {
                    self.ends.push((base + k) as u32);
                }
                if c < 0x20 {
                    found = 1;
                }
            }
            self.ends.push(b.len() as u32);
            self.clean = found == 0;
            return Ok(());
        }
        // Quoted fields may hold line breaks: written with the full check.
        self.clean = false;
        let mut out: Vec<u8> = std::mem::take(&mut self.text).into_bytes();
        let result = split_quoted(b, sep, &mut out, &mut self.ends);
        // Only whole UTF-8 sequences were copied, so the text stays valid UTF-8.
        self.text = String::from_utf8(out).unwrap_or_default();
        result
    }
}

/// Non-zero when one of the eight bytes of `word` is a control character (below 0x20): such a
/// byte makes `word - 0x20…` borrow into its high bit while its own high bit is clear (exact
/// for the lowest such byte, which is all a yes/no needs).
#[inline(always)]
pub(crate) fn controls(word: u64) -> u64 {
    word.wrapping_sub(0x2020_2020_2020_2020) & !word & 0x8080_8080_8080_8080
}

/// `text[start..end]` trimmed (ASCII whitespace fast; other Unicode whitespace, such as a
/// no-break space from an Excel export, when an end is not ASCII).
#[inline(always)]
fn trimmed(text: &str, mut start: usize, mut end: usize) -> &str {
    let b = text.as_bytes();
    if end > b.len() || start >= end {
        return "";
    }
    // Most fields have nothing to trim: one look at each end.
    let plain = |c: u8| c > b' ' && c < 0x80;
    if !(plain(b[start]) && plain(b[end - 1])) {
        while start < end && b[start].is_ascii_whitespace() {
            start += 1;
        }
        while end > start && b[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        if start < end && (b[start] >= 0x80 || b[end - 1] >= 0x80) {
            return text.get(start..end).unwrap_or_default().trim();
        }
    }
    text.get(start..end).unwrap_or_default()
}

fn split_quoted(
    b: &[u8],
    sep: u8,
    out: &mut Vec<u8>,
    ends: &mut Vec<u32>,
) -> Result<(), SplitError> {
    let mut i = 0;
    loop {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i < b.len() && b[i] == b'"' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(SplitError::UnclosedQuote),
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                        out.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            match b.get(i) {
                None => {
                    ends.push(out.len() as u32);
                    return Ok(());
                }
                Some(&c) if c == sep => {
                    ends.push(out.len() as u32);
                    out.push(sep);
                    i += 1;
                }
                Some(_) => return Err(SplitError::TextAfterQuote),
            }
        } else {
            // Unquoted: a quote inside is taken literally (SITI "IPAH").
            loop {
                match b.get(i) {
                    None => {
                        ends.push(out.len() as u32);
                        return Ok(());
                    }
                    Some(&c) if c == sep => {
                        ends.push(out.len() as u32);
                        out.push(sep);
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        out.push(c);
                        i += 1;
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
        let mut rd = Records::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(b) = rd.next_block(7).expect("reads") {
            for r in &b.recs {
                out.push((
                    r.line,
                    r.lines,
                    String::from_utf8(b.bytes(r).to_vec()).expect("utf8"),
                ));
            }
        }
        out
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

    proptest::proptest! {
        #[test]
        fn unquoted_lines_split_like_str_split(line in "[ -!#-~\t\u{a0}é€¬]{0,200}", sep in proptest::sample::select(vec![',', ';', '|', '\t'])) {
            let want: Vec<String> = line.split(sep).map(|f| f.trim().to_owned()).collect();
            proptest::prop_assert_eq!(split(&line, sep), Ok(want));
        }

        #[test]
        fn a_line_is_clean_when_it_has_no_control_character(
            line in "([ -!#-~]|\u{e9}|\u{2019}|[\u{0}-\u{1f}]){0,40}"
        ) {
            let mut f = Fields::default();
            f.split_known(&line, ',', false).expect("unquoted");
            proptest::prop_assert_eq!(f.clean(), !line.bytes().any(|c| c < 0x20));
        }

        #[test]
        fn splitting_never_panics(line in "\\PC{0,200}") {
            let _ = split(&line, ',');
        }
    }

    #[test]
    fn every_control_character_at_every_place_is_seen() {
        let mut f = Fields::default();
        for c in 0u8..0x80 {
            for at in 0..19 {
                let mut line = b"ABCDEFGHIJKLMNOPQRS".to_vec();
                line[at] = c;
                let text = String::from_utf8(line).expect("ascii");
                f.split_known(&text, ',', false).expect("unquoted");
                assert_eq!(f.clean(), c >= 0x20, "{c:#x} at {at}");
            }
        }
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
        for block in [1 << 16, 4 << 20] {
            let mut text = "x".repeat(MAX_LINE + 10);
            text.push_str("\nnext\n");
            let mut rd = Records::new(text.as_bytes());
            let mut recs = Vec::new();
            while let Some(b) = rd.next_block(block).expect("reads") {
                for r in &b.recs {
                    recs.push((r.line, r.too_long, b.bytes(r).len()));
                }
            }
            assert_eq!(
                recs,
                vec![(1, true, MAX_LINE), (2, false, 4)],
                "block size {block}"
            );
        }
    }

    #[test]
    fn block_boundaries_do_not_change_the_records() {
        let text = "h1,h2\na,\"x\ny\",b\r\nc,d\n\ne,f";
        let want = records(text);
        for size in [1usize, 2, 3, 5, 8, 13, 64] {
            let mut rd = Records::new(text.as_bytes());
            let mut got = Vec::new();
            while let Some(b) = rd.next_block(size).expect("reads") {
                for r in &b.recs {
                    got.push((
                        r.line,
                        r.lines,
                        String::from_utf8(b.bytes(r).to_vec()).expect("utf8"),
                    ));
                }
            }
            assert_eq!(got, want, "block size {size}");
        }
        assert_eq!(want[1], (2, 2, "a,\"x\ny\",b".to_owned()));
        assert_eq!(want[3], (5, 1, "".to_owned()));
        assert_eq!(want[4], (6, 1, "e,f".to_owned()));
    }

    #[test]
    fn reused_buffers_give_the_same_records() {
        // Lines of every length up to a few kilobytes, a quoted field over a line break, a
        // line longer than MAX_LINE, CRLF: several blocks, each buffer reused with the last
        // block's bytes still in it (shorter and longer than what is read next).
        let mut text = String::from("h1,h2\r\n");
        for i in 0..3000usize {
            let len = (i * 7919) % 4000;
            text.push_str(&format!("{i},{}\n", "y".repeat(len)));
            if i % 500 == 0 {
                text.push_str("q,\"one\ntwo\",z\r\n");
            }
            if i == 1700 {
                text.push_str(&"x".repeat(MAX_LINE + 5));
                text.push('\n');
            }
        }
        text.push_str("last,no newline");
        let read = |pool: Option<BufferPool>, keep: usize| {
            let mut rd = match pool {
                Some(p) => Records::with_pool(text.as_bytes(), p),
                None => Records::new(text.as_bytes()),
            };
            let header = rd.header().expect("reads");
            let mut held = std::collections::VecDeque::new();
            let mut got = Vec::new();
            while let Some(b) = rd.next_block(1 << 16).expect("reads") {
                for r in &b.recs {
                    got.push((r.line, r.lines, r.too_long, b.bytes(r).to_vec()));
                }
                held.push_back(b);
                if held.len() > keep {
                    held.pop_front(); // back to the pool while others are still out
                }
            }
            (header, got)
        };
        let want = read(None, 0);
        assert!(want.1.len() > 3000);
        for keep in [0, 1, 3, 9] {
            let pool = BufferPool::default();
            assert!(
                read(Some(pool.clone()), keep) == want,
                "blocks held: {keep}"
            );
            // The same pool again: every buffer now comes back dirty.
            assert!(
                read(Some(pool), keep) == want,
                "second run, blocks held: {keep}"
            );
        }
    }

    #[test]
    fn the_header_is_read_alone() {
        let mut rd = Records::new("h1,h2\na,b\n".as_bytes());
        assert_eq!(rd.header().expect("reads"), Some(b"h1,h2".to_vec()));
        let b = rd.next_block(1 << 16).expect("reads").expect("block");
        assert_eq!((b.recs[0].line, b.bytes(&b.recs[0])), (2, &b"a,b"[..]));
    }
}
