//! ODK Central's "all submissions" export zip (`<FormId>.csv.zip`, `submissions.csv.zip`), read
//! as it is downloaded: `<FormId>.csv` (one row per submission), `<FormId>-<group>.csv` for each
//! repeat group, nested repeats included (rows joined by `PARENT_KEY` to the `KEY` of their
//! submission, or of the enclosing repeat's row), and `media/` files, which are not read.
//!
//! [`CentralZip::open`] finds the CSVs a mapping reads and measures them before any row is
//! read: the submissions' CSV is the one `.csv` at the zip's root that is not named as a repeat
//! of another (nor as one of the mapping's groups); each `[[repeats]]` group's CSV is
//! `<stem>-<group>.csv` (or, as earlier versions of Central named a repeat inside groups,
//! `<stem>-<outer>-<group>.csv`). A missing group, an encrypted entry or one compressed other
//! than stored or deflate (what Central writes) is refused with the entry named. Every entry
//! read is inflated once into nothing, counted, before the import starts, so a zip bomb, an
//! entry that lies about its size or a damaged entry stops the import before its first record
//! rather than half-way through. [`CentralZip::read`] then streams each entry through the same
//! readers as the unzipped CSVs ([`read_export`]), one entry at a time: nothing is unpacked
//! whole, on disk or in memory. A group's CSV whose rows belong elsewhere than the mapping nests
//! the group (`nested_in`; their `PARENT_KEY` says) is refused before the first record.
//!
//! Reports name the zip and the entry as the file (`export.zip:form-members.csv, row 12,
//! column age: ...`), never a value.

use super::mapping::{Join, Mapping, Pass, Tables, read_export};
use super::table::{RowSource, Table};
use super::{ImportError, Location, Targets, Unit};
use scaleup_domain::date::Date;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use zip::{CompressionMethod, ZipArchive};

/// Most entries in an export zip. Central writes one per attachment in `media/`, so a large
/// export with media can pass it; its CSVs alone never do.
pub const MAX_ENTRIES: u64 = 50_000;

/// Most bytes of the zip's central directory: the zip reader holds the whole directory in
/// memory, so it is measured from the end record before the reader parses it.
pub const MAX_DIRECTORY: u64 = 16 << 20;

/// Whether `head` (the first bytes of a file) begins as a zip does: a local file header, or the
/// end record of an empty zip. Decided by the bytes, never the file's name.
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// One CSV of the export that is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The entry's name in the zip (as shown in reports).
    pub name: String,
    /// The mapping's `[[repeats]]` group it holds; `None` for the submissions' CSV.
    pub group: Option<String>,
    /// Its bytes once unzipped, as counted when the zip was opened.
    pub size: u64,
    index: usize,
}

/// An ODK Central export zip, its CSVs found and measured for a mapping (see the module).
pub struct CentralZip<RS: Read + Seek> {
    label: String,
    archive: ZipArchive<RS>,
    main: Entry,
    repeats: Vec<Entry>,
}

impl<RS: Read + Seek> std::fmt::Debug for CentralZip<RS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CentralZip")
            .field("label", &self.label)
            .field("main", &self.main)
            .field("repeats", &self.repeats)
            .finish()
    }
}

/// `n` bytes as a limit reads: whole MiB when it is, else bytes.
fn bytes_text(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// An entry's name as reports show it: no control characters, at most 120 characters (a name
/// comes from the file and could be anything).
fn shown(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(120)
        .collect();
    if name.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// The stem of a CSV's name (`form-members.csv` → `form-members`), whatever the extension's case.
fn csv_stem(name: &str) -> Option<&str> {
    let cut = name.len().checked_sub(4)?;
    let ext = name.get(cut..)?;
    (cut > 0 && ext.eq_ignore_ascii_case(".csv")).then(|| &name[..cut])
}

/// The number of entries and the size of the central directory, from the zip's end record (and
/// its ZIP64 record when the end record defers to it), read before the directory is parsed.
/// `None` when there is no end record: not a zip, or one cut short.
fn directory_extent<RS: Read + Seek>(input: &mut RS) -> Option<(u64, u64)> {
    let len = input.seek(SeekFrom::End(0)).ok()?;
    // The end record: its 22 bytes plus a comment of at most 64 KiB, at the end of the file.
    let tail_len = len.min(22 + 0xFFFF);
    let tail_start = len - tail_len;
    input.seek(SeekFrom::Start(tail_start)).ok()?;
    let mut tail = vec![0u8; usize::try_from(tail_len).ok()?];
    input.read_exact(&mut tail).ok()?;
    let eocd = tail
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .filter(|&i| i + 22 <= tail.len())?;
    let u16_at = |b: &[u8], i: usize| u64::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32_at =
        |b: &[u8], i: usize| u64::from(u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
    let u64_at = |b: &[u8], i: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(x)
    };
    let entries = u16_at(&tail, eocd + 10);
    let size = u32_at(&tail, eocd + 12);
    if entries != 0xFFFF && size != 0xFFFF_FFFF {
        return Some((entries, size));
    }
    // ZIP64: the locator (20 bytes) just before the end record points at the ZIP64 end record,
    // which holds the real counts. Without one, the markers stand (and are over the limits).
    let zip64 = (|| {
        let locator = (tail_start + eocd as u64).checked_sub(20)?;
        input.seek(SeekFrom::Start(locator)).ok()?;
        let mut loc = [0u8; 20];
        input.read_exact(&mut loc).ok()?;
        if &loc[..4] != b"PK\x06\x07" {
            return None;
        }
        input.seek(SeekFrom::Start(u64_at(&loc, 8))).ok()?;
        let mut rec = [0u8; 56];
        input.read_exact(&mut rec).ok()?;
        if &rec[..4] != b"PK\x06\x06" {
            return None;
        }
        Some((u64_at(&rec, 32), u64_at(&rec, 40)))
    })();
    Some(zip64.unwrap_or((entries, size)))
}

/// The submissions' CSV among the stems of the CSVs at the zip's root (see the module), or why
/// none can be chosen.
fn main_stem<'a>(stems: &[&'a str], groups: &[&str]) -> Result<&'a str, String> {
    // A repeat's CSV is named after the CSV of what it repeats in (`form-members.csv` after
    // `form.csv`, `form-members-phones.csv` after `form-members.csv`).
    let nested = |s: &str| {
        stems
            .iter()
            .any(|p| s.len() > p.len() + 1 && s.starts_with(p) && s[p.len()..].starts_with('-'))
    };
    let names_group = |s: &str| {
        groups
            .iter()
            .any(|g| s.strip_suffix(g).is_some_and(|rest| rest.ends_with('-')))
    };
    let candidates: Vec<&str> = stems
        .iter()
        .copied()
        .filter(|s| !nested(s) && !names_group(s))
        .collect();
    match candidates[..] {
        [one] => return Ok(one),
        [] => {}
        _ => {
            let list: Vec<String> = candidates
                .iter()
                .map(|s| shown(&format!("{s}.csv")))
                .collect();
            return Err(format!(
                "the zip holds several submissions CSVs ({}): which one is the export cannot be told; give the zip of one form's export",
                list.join(", ")
            ));
        }
    }
    // A form whose own id ends as a group's name (`household-members.csv` with the group
    // `members`): its CSV is the only one not nested in another, and its groups' CSVs are there.
    let roots: Vec<&str> = stems.iter().copied().filter(|s| !nested(s)).collect();
    if let [one] = roots[..]
        && groups
            .iter()
            .any(|g| stems.contains(&format!("{one}-{g}").as_str()))
    {
        return Ok(one);
    }
    let list: Vec<String> = stems.iter().map(|s| shown(&format!("{s}.csv"))).collect();
    Err(format!(
        "the zip has no submissions CSV (<form>.csv) at its root: the CSVs there ({}) are named as repeat groups'",
        list.join(", ")
    ))
}

impl<RS: Read + Seek> CentralZip<RS> {
    /// Opens `input` as an ODK Central export zip (named `label` in reports), finds the CSVs
    /// `mapping` reads and measures them: refused when they would take more than `max_unzipped`
    /// bytes once unzipped (the import's limit on an upload), or any of them is encrypted,
    /// compressed in a way scaleup does not read, or damaged.
    pub fn open(
        label: &str,
        mut input: RS,
        mapping: &Mapping,
        max_unzipped: u64,
    ) -> Result<CentralZip<RS>, ImportError> {
        let at = Location::file(label);
        let damaged =
            || at.error("not a zip that can be read (damaged, or cut short in the download)");
        let (entries, directory) = directory_extent(&mut input).ok_or_else(damaged)?;
        if entries > MAX_ENTRIES {
            return Err(at.error(format!(
                "the zip holds more than {MAX_ENTRIES} entries: refused before reading (export the submissions without media files)"
            )));
        }
        if directory > MAX_DIRECTORY {
            return Err(at.error(format!(
                "the zip's directory is larger than {}: refused before reading",
                bytes_text(MAX_DIRECTORY)
            )));
        }
        input.seek(SeekFrom::Start(0)).map_err(|_| damaged())?;
        let mut archive = ZipArchive::new(input).map_err(|_| damaged())?;
        if archive.has_duplicate_names() {
            return Err(at.error(
                "the zip holds two entries of the same name: which one is the export cannot be told",
            ));
        }
        // The CSVs at the root, by stem. (Central writes no folders but `media/`.)
        let mut csvs: BTreeMap<String, (usize, String)> = BTreeMap::new();
        let mut workbook = false;
        for i in 0..archive.len() {
            let entry = archive.by_index_data(i).map_err(|_| damaged())?;
            // A name that is not text is not one of the CSVs looked for (a media file's).
            let Ok(name) = entry.name() else {
                continue;
            };
            if name == "xl/workbook.xml" {
                workbook = true;
            }
            if entry.is_dir() || name.contains(['/', '\\']) {
                continue;
            }
            if let Some(stem) = csv_stem(&name)
                && csvs
                    .insert(stem.to_string(), (i, name.to_string()))
                    .is_some()
            {
                return Err(at.error(format!(
                    "the zip holds two CSVs named {}: which one is the export cannot be told",
                    shown(stem)
                )));
            }
        }
        if csvs.is_empty() {
            return Err(at.error(if workbook {
                "an Excel workbook, not an ODK Central export zip: export the submissions as CSV (KoboToolbox's XLSX export is read with a mapping whose source is \"kobo\")"
            } else {
                "the zip holds no .csv at its root: not an ODK Central export (Download all submissions)"
            }));
        }
        let mut groups: Vec<&str> = Vec::new();
        for r in &mapping.repeats {
            if !groups.contains(&r.group.as_str()) {
                groups.push(&r.group);
            }
        }
        let stems: Vec<&str> = csvs.keys().map(String::as_str).collect();
        let main = main_stem(&stems, &groups).map_err(|m| at.error(m))?;
        let entry = |stem: &str, group: Option<&str>| {
            let (index, name) = &csvs[stem];
            Entry {
                name: shown(name),
                group: group.map(str::to_string),
                size: 0,
                index: *index,
            }
        };
        let mut chosen = vec![entry(main, None)];
        for g in &groups {
            // Central names every repeat's CSV `<form>-<group>.csv`, a nested one's too
            // (getodk/central-backend `lib/data/briefcase.js`: the repeat's own name, `~1`, `~2`
            // after two repeats of one name); earlier versions wrote the path of the groups
            // around it (`<form>-<outer>-<group>.csv`: `singlerepeat-children-child.csv` in its
            // `test/unit/data/briefcase.js` then), read when the short name is absent. Whose rows a CSV holds is not in its name but in its rows' PARENT_KEY,
            // checked against the mapping's `nested_in` before any record goes out.
            let expected = format!("{main}-{g}");
            if csvs.contains_key(&expected) {
                chosen.push(entry(&expected, Some(*g)));
                continue;
            }
            let pathed: Vec<&str> = stems
                .iter()
                .copied()
                .filter(|s| {
                    s.strip_prefix(main)
                        .and_then(|rest| rest.strip_suffix(*g))
                        .is_some_and(|mid| {
                            mid.len() > 2 && mid.starts_with('-') && mid.ends_with('-')
                        })
                })
                .collect();
            match pathed[..] {
                [one] => chosen.push(entry(one, Some(*g))),
                [] => {
                    return Err(at.error(format!(
                        "the mapping reads the repeat group {g}, but the zip has no {} (its CSV)",
                        shown(&format!("{expected}.csv"))
                    )));
                }
                _ => {
                    let list: Vec<String> = pathed.iter().map(|s| shown(&csvs[*s].1)).collect();
                    return Err(at.error(format!(
                        "the mapping reads the repeat group {g}, and the zip has no {} but several CSVs that could be its ({}): which one is cannot be told",
                        shown(&format!("{expected}.csv")),
                        list.join(", ")
                    )));
                }
            }
        }
        // Each entry as the zip's directory describes it, before a byte of it is inflated.
        let mut declared: u64 = 0;
        for e in &chosen {
            let here = Location::file(&format!("{label}:{}", e.name));
            let data = archive.by_index_data(e.index).map_err(|_| damaged())?;
            if data.encrypted() {
                return Err(here.error(
                    "the entry is encrypted (password-protected): download the export again without encryption",
                ));
            }
            if !matches!(
                data.compression(),
                CompressionMethod::Stored | CompressionMethod::Deflated
            ) {
                return Err(here.error(
                    "the entry is compressed with a method scaleup does not read (only stored and deflate, as ODK Central writes): download the export again",
                ));
            }
            if data.size() > max_unzipped {
                return Err(here.error(format!(
                    "the entry would take more than {} once unzipped, the import limit: refused before reading",
                    bytes_text(max_unzipped)
                )));
            }
            declared = declared.saturating_add(data.size());
        }
        if declared > max_unzipped {
            return Err(at.error(format!(
                "the CSVs the mapping reads would take more than {} once unzipped, the import limit: refused before reading",
                bytes_text(max_unzipped)
            )));
        }
        // Then inflated, counted and dropped: an entry can lie about its size, and a damaged
        // one (its checksum) shows only at its end, which must not be after records were sent.
        let mut inflated: u64 = 0;
        for e in &mut chosen {
            let here = Location::file(&format!("{label}:{}", e.name));
            let budget = max_unzipped - inflated;
            let reader = archive
                .by_index(e.index)
                .map_err(|_| here.error("the entry is damaged: it could not be unzipped"))?;
            let n = std::io::copy(&mut reader.take(budget + 1), &mut std::io::sink()).map_err(
                |_| {
                    here.error(
                        "the entry is damaged: it could not be unzipped (its data do not match its size or checksum)",
                    )
                },
            )?;
            if n > budget {
                return Err(here.error(format!(
                    "the CSVs the mapping reads take more than {} once unzipped, the import limit (a zip bomb?): refused before reading",
                    bytes_text(max_unzipped)
                )));
            }
            inflated += n;
            e.size = n;
        }
        let repeats = chosen.split_off(1);
        let main = chosen.pop().ok_or_else(damaged)?;
        Ok(CentralZip {
            label: label.to_string(),
            archive,
            main,
            repeats,
        })
    }

    /// The submissions' CSV.
    pub fn main(&self) -> &Entry {
        &self.main
    }

    /// The CSV of each of the mapping's repeat groups, in the mapping's order.
    pub fn repeats(&self) -> &[Entry] {
        &self.repeats
    }

    /// Bytes of every CSV read, unzipped (for a progress bar).
    pub fn unzipped_len(&self) -> u64 {
        self.repeats.iter().map(|e| e.size).sum::<u64>() + self.main.size
    }

    /// The name reports give an entry: the zip's and the entry's (`export.zip:form.csv`).
    pub fn file_name(&self, entry: &Entry) -> String {
        format!("{}:{}", self.label, entry.name)
    }

    /// An entry's bytes, inflated as they are read; `progress` (if any) is told how many.
    fn entry_reader<'s, 'f: 's>(
        &'s mut self,
        entry: &Entry,
        progress: Option<&'s mut (dyn FnMut(u64) + 'f)>,
    ) -> Result<Progress<'s, 'f, impl Read + 's>, Vec<ImportError>> {
        let at = Location::file(&self.file_name(entry));
        let inner = self
            .archive
            .by_index(entry.index)
            .map_err(|_| vec![at.error("the entry is damaged: it could not be unzipped")])?;
        Ok(Progress { inner, progress })
    }

    /// Reads the export: the submissions' CSV, then each repeat group's (a group after the one
    /// it is nested in), handing every unit (one per row) to `sink`, which returns false to
    /// stop; `progress` is told the bytes inflated as they are read. Every CSV's header (and
    /// each group's first row, whose PARENT_KEY says whose rows it holds) is checked against
    /// the mapping first, so a group's CSV the mapping cannot read stops the import before its
    /// first record ([`read_export`]).
    pub fn read(
        &mut self,
        mapping: &Mapping,
        targets: &Targets,
        today: Date,
        now: &str,
        progress: &mut dyn FnMut(u64),
        sink: &mut dyn FnMut(Unit) -> bool,
    ) -> Result<(), Vec<ImportError>> {
        let mut tables = ZipTables {
            zip: self,
            progress,
        };
        read_export(&mut tables, mapping, targets, today, now, sink)
    }
}

/// The CSVs of an opened zip as [`read_export`] asks for them, entry by entry from the zip.
struct ZipTables<'z, RS: Read + Seek> {
    zip: &'z mut CentralZip<RS>,
    progress: &'z mut dyn FnMut(u64),
}

impl<RS: Read + Seek> ZipTables<'_, RS> {
    fn open(
        &mut self,
        entry: Entry,
        pass: Pass,
    ) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        let name = self.zip.file_name(&entry);
        // The check reads a header and a row: only the reading of the rows is progress.
        let progress = match pass {
            Pass::Check => None,
            Pass::Read => Some(&mut *self.progress),
        };
        let input = self.zip.entry_reader(&entry, progress)?;
        Ok(Box::new(Table::new(&name, input).map_err(|e| vec![e])?))
    }
}

impl<RS: Read + Seek> Tables for ZipTables<'_, RS> {
    fn join(&self) -> Join {
        Join::Central
    }

    fn main(&mut self, pass: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        let entry = self.zip.main.clone();
        self.open(entry, pass)
    }

    fn group(
        &mut self,
        group: &str,
        pass: Pass,
    ) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        let Some(entry) = self
            .zip
            .repeats
            .iter()
            .find(|e| e.group.as_deref() == Some(group))
            .cloned()
        else {
            return Err(vec![Location::file(&self.zip.label).error(format!(
                "the zip was not opened for the repeat group {group}"
            ))]);
        };
        self.open(entry, pass)
    }
}

/// A reader that tells `progress` how many bytes went by.
struct Progress<'p, 'f, R> {
    inner: R,
    progress: Option<&'p mut (dyn FnMut(u64) + 'f)>,
}

impl<R: Read> Read for Progress<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(progress) = &mut self.progress {
            progress(n as u64);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::mapping::{RepeatRows, Rows};
    use super::*;
    use std::io::{Cursor, Write};
    use uuid::Uuid;

    const MAPPING: &str =
        include_str!("../../tests/fixtures/import/odk-central-household.mapping.toml");
    const MAIN: &str = include_str!("../../tests/fixtures/import/odk-central-household.csv");
    const MEMBERS: &str =
        include_str!("../../tests/fixtures/import/odk-central-household-members.csv");
    const NOW: &str = "2026-06-15T10:00:00Z";
    const LIMIT: u64 = 1 << 20;

    fn mapping() -> Mapping {
        Mapping::from_toml("household.toml", MAPPING).unwrap()
    }

    fn targets() -> Targets {
        let mut t = Targets::default();
        t.programmes.insert("ke-pmplus".into(), Uuid::from_u128(1));
        t.facilities.insert("kibra-hc".into(), Uuid::from_u128(11));
        t.facilities
            .insert("olympic-hc".into(), Uuid::from_u128(12));
        t.users.insert("counsellor".into(), Uuid::from_u128(99));
        t
    }

    fn today() -> Date {
        Date::parse("2026-06-15", "today").unwrap()
    }

    /// A zip as Central streams it (data descriptors after each entry, deflate).
    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new_stream(Vec::new());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated);
        for (name, bytes) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, options).unwrap();
            } else {
                w.start_file(*name, options).unwrap();
                w.write_all(bytes).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    /// (name, general purpose flags, compression method, declared size, stored bytes, CRC-32).
    type RawEntry<'a> = (&'a str, u16, u16, u32, &'a [u8], u32);

    /// A zip written by hand, for what the writer will not write (flags, methods, sizes that
    /// lie, checksums that do not match).
    fn raw_zip(entries: &[RawEntry<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, flags, method, size, data, crc) in entries {
            let offset = out.len() as u32;
            let header = |central: bool| {
                let mut h = Vec::new();
                h.extend(if central {
                    b"PK\x01\x02"
                } else {
                    b"PK\x03\x04"
                });
                if central {
                    h.extend(20u16.to_le_bytes());
                }
                h.extend(20u16.to_le_bytes());
                h.extend(flags.to_le_bytes());
                h.extend(method.to_le_bytes());
                h.extend(0u32.to_le_bytes());
                h.extend(crc.to_le_bytes());
                h.extend((data.len() as u32).to_le_bytes());
                h.extend(size.to_le_bytes());
                h.extend((name.len() as u16).to_le_bytes());
                h.extend(0u16.to_le_bytes());
                if central {
                    h.extend([0u8; 6]); // comment, disk, internal attributes
                    h.extend(0u32.to_le_bytes());
                    h.extend(offset.to_le_bytes());
                }
                h.extend(name.as_bytes());
                h
            };
            out.extend(header(false));
            out.extend_from_slice(data);
            central.extend(header(true));
        }
        let cd_offset = out.len() as u32;
        out.extend(&central);
        out.extend(b"PK\x05\x06");
        out.extend([0u8; 4]);
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((central.len() as u32).to_le_bytes());
        out.extend(cd_offset.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    fn deflated(bytes: &[u8]) -> (Vec<u8>, u32) {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        (e.finish().unwrap(), crc32fast::hash(bytes))
    }

    fn open(bytes: Vec<u8>, mapping: &Mapping) -> Result<CentralZip<Cursor<Vec<u8>>>, String> {
        CentralZip::open("export.zip", Cursor::new(bytes), mapping, LIMIT)
            .map_err(|e| e.to_string())
    }

    fn read_all(
        zip: &mut CentralZip<Cursor<Vec<u8>>>,
    ) -> (Vec<Unit>, u64, Result<(), Vec<ImportError>>) {
        let mut units = Vec::new();
        let mut bytes = 0;
        let done = zip.read(
            &mapping(),
            &targets(),
            today(),
            NOW,
            &mut |n| bytes += n,
            &mut |u| {
                units.push(u);
                true
            },
        );
        (units, bytes, done)
    }

    #[test]
    fn the_submissions_and_a_repeat_group_are_read_from_the_zip_as_from_their_csvs() {
        let bytes = zip_of(&[
            ("household_screening.csv", MAIN.as_bytes()),
            ("household_screening-members.csv", MEMBERS.as_bytes()),
            // A nested repeat the mapping does not read, another group and media: not read.
            (
                "household_screening-members-phones.csv",
                b"number,PARENT_KEY,KEY\n1,x,y\n",
            ),
            ("household_screening-visits.csv", b"a,PARENT_KEY,KEY\n"),
            ("media/", b""),
            ("media/photo.jpg", b"\xFF\xD8\xFF"),
        ]);
        assert!(is_zip(&bytes));
        let mut zip = open(bytes, &mapping()).unwrap();
        assert_eq!(zip.main().name, "household_screening.csv");
        assert_eq!(zip.main().group, None);
        let repeats: Vec<(&str, Option<&str>)> = zip
            .repeats()
            .iter()
            .map(|e| (e.name.as_str(), e.group.as_deref()))
            .collect();
        assert_eq!(
            repeats,
            [("household_screening-members.csv", Some("members"))]
        );
        assert_eq!(zip.unzipped_len(), (MAIN.len() + MEMBERS.len()) as u64);
        let (units, bytes, done) = read_all(&mut zip);
        done.unwrap();
        assert_eq!(bytes, zip.unzipped_len());
        // Three submissions, then five members (none from the nested or unmapped CSVs).
        assert_eq!(units.len(), 8);
        let problems: Vec<String> = units
            .iter()
            .filter_map(|u| u.outcome.as_ref().err())
            .flatten()
            .map(|e| e.to_string())
            .collect();
        assert!(
            problems.contains(&"export.zip:household_screening.csv, row 4, column SubmissionDate: must be a date-time (RFC 3339)".to_string()),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with(
                "export.zip:household_screening-members.csv, row 5, column PARENT_KEY: no submission"
            )),
            "{problems:?}"
        );
        assert!(problems.iter().all(|p| !p.contains("HYPERLINK")));
        // The same records, with the same ids, as the unzipped CSVs give.
        let mut rows = Rows::new(
            "h.csv",
            MAIN.as_bytes(),
            &mapping(),
            &targets(),
            today(),
            NOW,
        )
        .unwrap();
        let mut direct: Vec<Unit> = rows.by_ref().collect();
        let mut parents = rows.into_parents();
        direct.extend(
            RepeatRows::new(
                "m.csv",
                MEMBERS.as_bytes(),
                &mapping(),
                "members",
                &mut parents,
                &targets(),
                today(),
                NOW,
            )
            .unwrap(),
        );
        let ids = |units: &[Unit]| -> Vec<Uuid> {
            units
                .iter()
                .filter_map(|u| u.outcome.as_ref().ok())
                .flatten()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids(&units).len(), 4);
        assert_eq!(ids(&units), ids(&direct));
        // The sink may stop the reading.
        let mut zip = open(
            zip_of(&[
                ("f.csv", MAIN.as_bytes()),
                ("f-members.csv", MEMBERS.as_bytes()),
            ]),
            &mapping(),
        )
        .unwrap();
        let mut seen = 0;
        zip.read(
            &mapping(),
            &targets(),
            today(),
            NOW,
            &mut |_| {},
            &mut |_| {
                seen += 1;
                false
            },
        )
        .unwrap();
        assert_eq!(seen, 1);
    }

    #[test]
    fn a_group_without_its_csv_is_refused_naming_the_file_expected() {
        let e = open(
            zip_of(&[("household_screening.csv", MAIN.as_bytes())]),
            &mapping(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "export.zip: the mapping reads the repeat group members, but the zip has no household_screening-members.csv (its CSV)"
        );
        // Named as earlier versions of Central named a repeat inside a group: found, and read
        // as its rows say (here, a repeat of the submission inside the group `visits`).
        let mut zip = open(
            zip_of(&[
                ("household_screening.csv", MAIN.as_bytes()),
                ("household_screening-visits-members.csv", MEMBERS.as_bytes()),
            ]),
            &mapping(),
        )
        .unwrap();
        assert_eq!(
            zip.repeats()[0].name,
            "household_screening-visits-members.csv"
        );
        let (units, _, done) = read_all(&mut zip);
        done.unwrap();
        assert_eq!(units.len(), 8);
        // Two such names: which one is the group's cannot be told.
        let e = open(
            zip_of(&[
                ("household_screening.csv", MAIN.as_bytes()),
                ("household_screening-visits-members.csv", MEMBERS.as_bytes()),
                ("household_screening-homes-members.csv", MEMBERS.as_bytes()),
            ]),
            &mapping(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "export.zip: the mapping reads the repeat group members, and the zip has no household_screening-members.csv but several CSVs that could be its (household_screening-homes-members.csv, household_screening-visits-members.csv): which one is cannot be told"
        );
        // Only the group's CSV: no submissions CSV.
        let e = open(
            zip_of(&[("household_screening-members.csv", MEMBERS.as_bytes())]),
            &mapping(),
        )
        .unwrap_err();
        assert!(e.contains("no submissions CSV"), "{e}");
        // A form whose id ends as the group's name is still found.
        let zip = open(
            zip_of(&[
                ("household-members.csv", MAIN.as_bytes()),
                ("household-members-members.csv", MEMBERS.as_bytes()),
            ]),
            &mapping(),
        )
        .unwrap();
        assert_eq!(zip.main().name, "household-members.csv");
        assert_eq!(zip.repeats()[0].name, "household-members-members.csv");
    }

    #[test]
    fn two_submissions_csvs_or_none_are_refused_by_name() {
        let e = open(
            zip_of(&[
                ("phq9_form.csv", MAIN.as_bytes()),
                ("gad7_form.csv", MAIN.as_bytes()),
                ("phq9_form-members.csv", MEMBERS.as_bytes()),
            ]),
            &mapping(),
        )
        .unwrap_err();
        assert!(
            e.starts_with(
                "export.zip: the zip holds several submissions CSVs (gad7_form.csv, phq9_form.csv)"
            ),
            "{e}"
        );
        // No mapping groups: the one CSV not named after another is the submissions'.
        let plain = Mapping::from_toml(
            "m.toml",
            "source = \"odk\"\ndataset = \"d\"\n[[records]]\nkind = \"client\"\n",
        )
        .unwrap();
        let zip = open(
            zip_of(&[
                ("f.csv", MAIN.as_bytes()),
                ("f-members.csv", MEMBERS.as_bytes()),
            ]),
            &plain,
        )
        .unwrap();
        assert_eq!(zip.main().name, "f.csv");
        assert!(zip.repeats().is_empty());
        let e = open(
            zip_of(&[("media/a.jpg", b"x"), ("sub/f.csv", b"a\n")]),
            &plain,
        )
        .unwrap_err();
        assert!(e.contains("holds no .csv at its root"), "{e}");
        let e = open(zip_of(&[("xl/workbook.xml", b"<x/>")]), &plain).unwrap_err();
        assert!(e.contains("an Excel workbook"), "{e}");
        let e = open(b"PK\x03\x04 cut short".to_vec(), &plain).unwrap_err();
        assert!(e.contains("not a zip that can be read"), "{e}");
        // Two entries of one name: which is read cannot be told.
        let crc = crc32fast::hash(b"a\n");
        let e = open(
            raw_zip(&[
                ("f.csv", 0, 0, 2, b"a\n", crc),
                ("f.csv", 0, 0, 2, b"a\n", crc),
            ]),
            &plain,
        )
        .unwrap_err();
        assert!(e.contains("two entries of the same name"), "{e}");
        let e = open(b"PK\x05\x06".to_vec(), &plain).unwrap_err();
        assert!(e.contains("not a zip that can be read"), "{e}");
    }

    #[test]
    fn encrypted_or_unsupported_entries_are_refused_by_name() {
        let crc = crc32fast::hash(MAIN.as_bytes());
        let members_crc = crc32fast::hash(MEMBERS.as_bytes());
        let n = MAIN.len() as u32;
        let m = MEMBERS.len() as u32;
        // Stored entries, one with the "encrypted" flag.
        let e = open(
            raw_zip(&[
                ("f.csv", 0, 0, n, MAIN.as_bytes(), crc),
                ("f-members.csv", 1, 0, m, MEMBERS.as_bytes(), members_crc),
            ]),
            &mapping(),
        )
        .unwrap_err();
        assert!(
            e.starts_with("export.zip:f-members.csv: the entry is encrypted"),
            "{e}"
        );
        // bzip2 (method 12).
        let e = open(
            raw_zip(&[
                ("f.csv", 0, 12, n, MAIN.as_bytes(), crc),
                ("f-members.csv", 0, 0, m, MEMBERS.as_bytes(), members_crc),
            ]),
            &mapping(),
        )
        .unwrap_err();
        assert!(
            e.starts_with(
                "export.zip:f.csv: the entry is compressed with a method scaleup does not read"
            ),
            "{e}"
        );
        // An entry that is not read may be anything.
        let mut zip = open(
            raw_zip(&[
                ("f.csv", 0, 0, n, MAIN.as_bytes(), crc),
                ("f-members.csv", 0, 0, m, MEMBERS.as_bytes(), members_crc),
                ("media/a.jpg", 1, 14, 3, b"abc", 0),
            ]),
            &mapping(),
        )
        .unwrap();
        let (units, _, done) = read_all(&mut zip);
        done.unwrap();
        assert_eq!(units.len(), 8);
        // A damaged entry (its checksum) is refused when the zip is opened, not half-way.
        let e = open(
            raw_zip(&[
                ("f.csv", 0, 0, n, MAIN.as_bytes(), crc),
                (
                    "f-members.csv",
                    0,
                    0,
                    m,
                    MEMBERS.as_bytes(),
                    members_crc ^ 1,
                ),
            ]),
            &mapping(),
        )
        .unwrap_err();
        assert!(
            e.starts_with("export.zip:f-members.csv: the entry is damaged"),
            "{e}"
        );
    }

    #[test]
    fn entries_past_the_import_limit_are_refused_before_a_row_is_read() {
        // 2 MiB of spaces deflate to a few kilobytes; the limit here is 1 MiB.
        let big = vec![b' '; 2 << 20];
        let (data, crc) = deflated(&big);
        assert!(data.len() < 8192);
        let (main, main_crc) = deflated(MAIN.as_bytes());
        let n = MAIN.len() as u32;
        let honest = raw_zip(&[
            ("f.csv", 0, 8, n, &main, main_crc),
            ("f-members.csv", 0, 8, 2 << 20, &data, crc),
        ]);
        let e = open(honest, &mapping()).unwrap_err();
        assert_eq!(
            e,
            "export.zip:f-members.csv: the entry would take more than 1 MiB once unzipped, the import limit: refused before reading"
        );
        // The same entry claiming 1 KiB: inflating it is stopped at the limit (or by the
        // checksum when zip stops at the declared size): refused either way, entry named.
        let liar = raw_zip(&[
            ("f.csv", 0, 8, n, &main, main_crc),
            ("f-members.csv", 0, 8, 1024, &data, crc),
        ]);
        let e = open(liar, &mapping()).unwrap_err();
        assert!(
            e.starts_with("export.zip:f-members.csv: ")
                && (e.contains("more than 1 MiB once unzipped") || e.contains("damaged")),
            "{e}"
        );
        // Two entries each under the limit, together over it.
        let (half, half_crc) = deflated(&vec![b' '; 600 << 10]);
        let both = raw_zip(&[
            ("f.csv", 0, 8, 600 << 10, &half, half_crc),
            ("f-members.csv", 0, 8, 600 << 10, &half, half_crc),
        ]);
        let e = open(both, &mapping()).unwrap_err();
        assert!(
            e.starts_with("export.zip: the CSVs the mapping reads would take more than 1 MiB"),
            "{e}"
        );
        // Too many entries, refused from the end record before the directory is parsed.
        let (empty, empty_crc) = deflated(b"");
        let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("media/{i}")).collect();
        let many: Vec<RawEntry<'_>> = names
            .iter()
            .map(|n| (n.as_str(), 0, 8, 0, &empty[..], empty_crc))
            .collect();
        let e = open(raw_zip(&many), &mapping()).unwrap_err();
        assert!(e.contains("more than 50000 entries"), "{e}");
    }

    #[test]
    fn a_group_csv_the_mapping_cannot_read_stops_the_import_before_its_first_record() {
        let mut zip = open(
            zip_of(&[
                ("f.csv", MAIN.as_bytes()),
                ("f-members.csv", b"member_code,sex\nA,female\n"),
            ]),
            &mapping(),
        )
        .unwrap();
        let (units, _, done) = read_all(&mut zip);
        assert!(
            units.is_empty(),
            "a unit went out before the header was checked"
        );
        let errors: Vec<String> = done.unwrap_err().iter().map(|e| e.to_string()).collect();
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("export.zip:f-members.csv, row 1, column PARENT_KEY")),
            "{errors:?}"
        );
    }

    const NESTED_MAPPING: &str =
        include_str!("../../tests/fixtures/import/odk-central-household-nested.mapping.toml");
    const FOLLOWUPS: &str =
        include_str!("../../tests/fixtures/import/odk-central-household-followups.csv");

    fn read_with(
        zip: &mut CentralZip<Cursor<Vec<u8>>>,
        mapping: &Mapping,
    ) -> (Vec<Unit>, Result<(), Vec<String>>) {
        let mut units = Vec::new();
        let done = zip.read(mapping, &targets(), today(), NOW, &mut |_| {}, &mut |u| {
            units.push(u);
            true
        });
        (
            units,
            done.map_err(|e| e.iter().map(|e| e.to_string()).collect()),
        )
    }

    /// Issue 9: a repeat nested in a repeat, in the zip as Central names it
    /// (`<form>-followups.csv`, beside `<form>-members.csv`): found by its group's name, read
    /// after the group it is nested in whatever the zip's order, joined through the member
    /// rows to the submissions; the same records as its CSVs read one by one, a follow-up of a
    /// missing member row refused by entry, row and column, and the same again on a second
    /// reading.
    #[test]
    fn a_nested_repeat_is_read_from_the_zip_through_the_rows_it_is_nested_in() {
        let nested = Mapping::from_toml("nested.toml", NESTED_MAPPING).unwrap();
        let bytes = zip_of(&[
            ("household_screening-followups.csv", FOLLOWUPS.as_bytes()),
            ("household_screening.csv", MAIN.as_bytes()),
            ("household_screening-members.csv", MEMBERS.as_bytes()),
        ]);
        let mut zip = open(bytes.clone(), &nested).unwrap();
        let groups: Vec<Option<&str>> = zip.repeats().iter().map(|e| e.group.as_deref()).collect();
        assert_eq!(groups, [Some("members"), Some("followups")]);
        let (units, done) = read_with(&mut zip, &nested);
        done.unwrap();
        assert_eq!(units.len(), 3 + 5 + 5);
        let last: Vec<String> = units[12]
            .outcome
            .as_ref()
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            last,
            [
                "export.zip:household_screening-followups.csv, row 6, column PARENT_KEY: no row of members (the repeat group followups is nested in) has this key (a row of another export, or of a row of members refused whole)"
            ]
        );
        // The unzipped CSVs through the same readers: the same records.
        let mut rows =
            Rows::new("h.csv", MAIN.as_bytes(), &nested, &targets(), today(), NOW).unwrap();
        let mut direct: Vec<Unit> = rows.by_ref().collect();
        let mut parents = rows.into_parents();
        for (group, data) in [("members", MEMBERS), ("followups", FOLLOWUPS)] {
            let rows = RepeatRows::new(
                "g.csv",
                data.as_bytes(),
                &nested,
                group,
                &mut parents,
                &targets(),
                today(),
                NOW,
            )
            .unwrap();
            direct.extend(rows);
        }
        let records = |units: &[Unit]| -> Vec<crate::import::ImportedRecord> {
            units
                .iter()
                .filter_map(|u| u.outcome.as_ref().ok())
                .flatten()
                .cloned()
                .collect()
        };
        assert_eq!(records(&units).len(), 4 + 3);
        assert_eq!(records(&units), records(&direct));
        let (again, _) = read_with(&mut open(bytes, &nested).unwrap(), &nested);
        assert_eq!(records(&again), records(&units));
    }

    /// A group the mapping nests otherwise than the zip's rows say (their PARENT_KEY) is
    /// refused when the zip is read, before any record goes out.
    #[test]
    fn a_nested_repeat_the_mapping_nests_otherwise_is_refused_before_any_record() {
        let flat = Mapping::from_toml(
            "flat.toml",
            &NESTED_MAPPING.replace("nested_in = \"members\"\n", ""),
        )
        .unwrap();
        let bytes = zip_of(&[
            ("household_screening.csv", MAIN.as_bytes()),
            ("household_screening-members.csv", MEMBERS.as_bytes()),
            ("household_screening-followups.csv", FOLLOWUPS.as_bytes()),
        ]);
        let (units, done) = read_with(&mut open(bytes, &flat).unwrap(), &flat);
        assert!(units.is_empty(), "a unit went out before the refusal");
        assert_eq!(
            done.unwrap_err(),
            [
                "export.zip:household_screening-followups.csv, row 2, column PARENT_KEY: the mapping reads followups as a repeat group of the submissions, but in this export its rows belong to a row of the repeat group members (their PARENT_KEY): set nested_in = \"members\" in the [[repeats]] entry of followups"
            ]
        );
        // Nested in `members` by the mapping, of the submissions in the zip.
        let nested = Mapping::from_toml("nested.toml", NESTED_MAPPING).unwrap();
        let of_submissions = "followup_date,phq-phq2_1,phq-phq2_2,PARENT_KEY,KEY\n2026-03-03,1,1,uuid:9a1c0e52-0001-4c1e-8f00-000000000001,uuid:9a1c0e52-0001-4c1e-8f00-000000000001/followups[1]\n";
        let bytes = zip_of(&[
            ("household_screening.csv", MAIN.as_bytes()),
            ("household_screening-members.csv", MEMBERS.as_bytes()),
            (
                "household_screening-followups.csv",
                of_submissions.as_bytes(),
            ),
        ]);
        let (units, done) = read_with(&mut open(bytes, &nested).unwrap(), &nested);
        assert!(units.is_empty());
        let e = done.unwrap_err();
        assert_eq!(
            e,
            [
                "export.zip:household_screening-followups.csv, row 2, column PARENT_KEY: the mapping reads followups as nested in members, but in this export its rows belong to a submission (their PARENT_KEY): remove nested_in from the [[repeats]] entry of followups"
            ]
        );
    }

    /// Bytes of a real export zip changed at random: opened and read, or refused, never a panic.
    #[test]
    fn damaged_zips_never_panic() {
        let good = zip_of(&[
            ("f.csv", MAIN.as_bytes()),
            ("f-members.csv", MEMBERS.as_bytes()),
            ("media/a.jpg", b"abc"),
        ]);
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut bytes = good.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % bytes.len() as u64) as usize;
                bytes[i] = next() as u8;
            }
            if next() % 8 == 0 {
                let cut = (next() % bytes.len() as u64) as usize;
                bytes.truncate(cut);
            }
            if let Ok(mut zip) = open(bytes, &mapping()) {
                let _ = read_all(&mut zip);
            }
        }
    }
}
