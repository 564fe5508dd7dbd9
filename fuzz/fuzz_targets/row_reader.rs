//! The row reader on arbitrary bytes: block splitting at several block sizes must give the
//! same records, and splitting each record into fields must never panic.
#![no_main]
use dtsen_ingest::reader::{Fields, Records};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reference: Option<Vec<(u64, u32, Vec<u8>)>> = None;
    for size in [1usize, 7, 64, 1 << 16] {
        let mut rd = Records::new(data);
        let mut recs = Vec::new();
        while let Ok(Some(block)) = rd.next_block(size) {
            for r in &block.recs {
                let bytes = block.bytes(r);
                let (text, _) = dtsen_ingest::decode::decode(bytes, dtsen_ingest::decode::Encoding::Utf8);
                for sep in [',', ';', '|', '\t'] {
                    let mut f = Fields::default();
                    if f.split(&text, sep).is_ok() {
                        for i in 0..f.len() {
                            let _ = f.get(i);
                        }
                    }
                }
                recs.push((r.line, r.lines, bytes.to_vec()));
            }
        }
        match &reference {
            None => reference = Some(recs),
            Some(want) => assert_eq!(want, &recs, "block size {size} changed the records"),
        }
    }
});
