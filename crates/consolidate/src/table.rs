//! The ingest output (`persons.tsv`, `families.tsv`, `lists.tsv`) held as rows of text with
//! their field boundaries: one allocation per row, columns found by name once.

use std::io::BufRead;
use std::path::Path;

use crate::ConsolidateError;

/// One row: its text and where each field ends.
#[derive(Debug)]
pub struct Row {
    text: Box<str>,
    ends: Box<[u32]>,
}

impl Row {
    fn new(line: &str) -> Row {
        let ends = memchr_tabs(line);
        Row {
            text: line.into(),
            ends,
        }
    }

    /// Field `k` (empty when the row is short).
    pub fn get(&self, k: usize) -> &str {
        let Some(&end) = self.ends.get(k) else {
            return "";
        };
        let start = if k == 0 {
            0
        } else {
            self.ends[k - 1] as usize + 1
        };
        self.text.get(start..end as usize).unwrap_or("")
    }
}

fn memchr_tabs(line: &str) -> Box<[u32]> {
    let mut ends: Vec<u32> = line
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\t')
        .map(|(i, _)| i as u32)
        .collect();
    ends.push(line.len() as u32);
    ends.into_boxed_slice()
}

/// A tab-separated file read whole.
#[derive(Debug)]
pub struct Table {
    /// File name (for messages).
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    /// The rows, in file order.
    pub rows: Vec<Row>,
}

impl Table {
    /// Reads `dir/name`.
    pub fn read(dir: &Path, name: &str) -> Result<Table, ConsolidateError> {
        let path = dir.join(name);
        let io = |e: std::io::Error| ConsolidateError::Io {
            path: path.display().to_string(),
            source: e,
        };
        let file = std::fs::File::open(&path).map_err(io)?;
        let mut lines = std::io::BufReader::with_capacity(1 << 20, file).lines();
        let header = match lines.next() {
            Some(h) => h.map_err(io)?,
            None => {
                return Err(ConsolidateError::Input(format!(
                    "{}: empty file; run dtsen ingest first",
                    path.display()
                )))
            }
        };
        let columns = header.split('\t').map(str::to_owned).collect();
        let mut rows = Vec::new();
        for line in lines {
            let line = line.map_err(io)?;
            if !line.is_empty() {
                rows.push(Row::new(&line));
            }
        }
        Ok(Table {
            name: name.to_owned(),
            columns,
            rows,
        })
    }

    /// The index of a column, or an error naming the file and the column.
    pub fn col(&self, name: &str) -> Result<usize, ConsolidateError> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            ConsolidateError::Input(format!(
                "{}: no column {name:?}; is it the output of this version of dtsen ingest?",
                self.name
            ))
        })
    }

    /// The index of a column if present.
    pub fn try_col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// The value of `key` in an `attrs` field (`key=value;key=value`).
pub fn attr<'a>(attrs: &'a str, key: &str) -> Option<&'a str> {
    attrs.split(';').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key && !v.is_empty()).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_attrs() {
        let r = Row::new("a\t\tc");
        assert_eq!((r.get(0), r.get(1), r.get(2), r.get(3)), ("a", "", "c", ""));
        assert_eq!(attr("x=1;pkh=0;y=", "pkh"), Some("0"));
        assert_eq!(attr("x=1;y=", "y"), None);
        assert_eq!(attr("", "y"), None);
    }
}
