#![no_main]
//! An XLSForm workbook (.xlsx bytes) read with calamine, then translated into an instrument.
use libfuzzer_sys::fuzz_target;
use scaleup_interop::import::xlsform;

fuzz_target!(|data: &[u8]| {
    if data.len() > 1 << 20 {
        return;
    }
    if let Ok(form) = xlsform::read("f.xlsx", std::io::Cursor::new(data)) {
        let _ = form.to_instrument(&Default::default());
    }
});
