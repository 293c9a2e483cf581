//! Uploads too large to hold: a request body written to an anonymous temporary file as it
//! arrives ([`spool`]), and a `multipart/form-data` body read from there part by part
//! ([`SpooledForm`]), so a 1 GiB export costs disk, not memory.
//!
//! The import API (`POST /api/v1/imports/*` with a multipart body) and the import page
//! (`/imports`) read their uploads through this module; both then hand a [`Section`] of the file
//! to the streaming readers of scaleup-interop. The file is created unlinked
//! (`tempfile::tempfile_in`), so it disappears when the request ends, however it ends.
//!
//! Limits: the body is counted after `Content-Encoding: gzip` is undone, as it is written, and
//! refused past [`SpoolError::TooLarge`]; a form has at most [`MAX_PARTS`] parts, each with at
//! most 8 KiB of headers; the small parts a caller asks for (text fields, a mapping file) are
//! read into memory only up to the caller's bound.

use axum::body::Body;
use http_body_util::BodyExt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// Most parts in a form (the import form has six).
pub const MAX_PARTS: usize = 20;

/// Most bytes of a part's headers.
const MAX_PART_HEADERS: u64 = 8 << 10;

/// Why a body could not be spooled.
#[derive(Debug)]
pub enum SpoolError {
    /// Larger than the limit (bytes) once decompressed.
    TooLarge(u64),
    /// Broken off, or not the gzip its `Content-Encoding` says.
    Broken,
    /// The temporary file could not be written (disk full, no such folder).
    Disk(std::io::Error),
}

/// A request body on disk.
pub struct Spool {
    file: File,
}

/// Writes `body` to an unlinked temporary file in `dir` (the system's temporary folder when
/// `None`), refusing it past `limit` bytes: what was written is dropped with the file.
pub async fn spool(body: Body, limit: u64, dir: Option<PathBuf>) -> Result<Spool, SpoolError> {
    let std_file = tokio::task::spawn_blocking(move || match dir {
        Some(d) => tempfile::tempfile_in(d),
        None => tempfile::tempfile(),
    })
    .await
    .map_err(|_| SpoolError::Disk(std::io::Error::other("the spooling task failed")))?
    .map_err(SpoolError::Disk)?;
    let mut file = tokio::fs::File::from_std(std_file);
    let mut body = body;
    let mut len: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(SpoolError::Broken);
        };
        let Ok(data) = frame.into_data() else {
            // Trailers carry nothing an import reads.
            continue;
        };
        len += data.len() as u64;
        if len > limit {
            return Err(SpoolError::TooLarge(limit));
        }
        file.write_all(&data).await.map_err(SpoolError::Disk)?;
    }
    file.flush().await.map_err(SpoolError::Disk)?;
    let file = file.into_std().await;
    Ok(Spool { file })
}

/// A byte range of a spooled body: one part's contents. Every handle on a spool shares one
/// file position (they are clones of one descriptor), so read one section at a time.
pub struct Section {
    file: File,
    start: u64,
    len: u64,
}

impl Section {
    /// Whether the section is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Another handle on the same section (sharing the file position, see above).
    pub fn try_clone(&self) -> std::io::Result<Section> {
        Ok(Section {
            file: self.file.try_clone()?,
            start: self.start,
            len: self.len,
        })
    }

    /// A reader of the section from its start (blocking I/O: call it off the async runtime).
    /// Each call reads from the start again, for readers that make two passes.
    pub fn open(&self) -> std::io::Result<impl Read + Send + 'static> {
        let mut f = self.file.try_clone()?;
        f.seek(SeekFrom::Start(self.start))?;
        Ok(std::io::BufReader::with_capacity(
            64 << 10,
            f.take(self.len),
        ))
    }

    /// A reader of the section that can seek within it, as a zip's reader needs (its directory
    /// is at its end). Blocking I/O: call it off the async runtime.
    pub fn seekable(&self) -> std::io::Result<SectionReader> {
        Ok(SectionReader {
            file: self.file.try_clone()?,
            start: self.start,
            len: self.len,
            pos: 0,
        })
    }

    /// The whole section in memory, when it is at most `max` bytes.
    fn read_small(&self, max: u64) -> std::io::Result<Option<Vec<u8>>> {
        if self.len > max {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(self.len as usize);
        self.open()?.read_to_end(&mut out)?;
        Ok(Some(out))
    }
}

/// A section read and sought within its own bounds (position 0 is the section's first byte).
/// It keeps its own position and seeks the file before every read, since every handle on a
/// spool shares the descriptor's position; wrap it in a `BufReader` to read in blocks.
pub struct SectionReader {
    file: File,
    start: u64,
    len: u64,
    pos: u64,
}

impl Read for SectionReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        self.file.seek(SeekFrom::Start(self.start + self.pos))?;
        let n = self.file.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SectionReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        // Past the end is allowed (reads there give nothing), before the start is not.
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a seek before the start of the section",
            )
        })?;
        Ok(self.pos)
    }
}

/// One part of a spooled form.
pub struct PartAt {
    pub name: String,
    /// The file's name, for a file input (only its last path segment, without control
    /// characters, at most 200 characters).
    pub filename: Option<String>,
    section: Section,
    /// The contents, when small enough to have been read (see [`SpooledForm::read`]).
    small: Option<Vec<u8>>,
}

/// Why a spooled form could not be read.
#[derive(Debug)]
pub enum FormError {
    /// Not `multipart/form-data` as RFC 7578 writes it (no closing delimiter, no
    /// Content-Disposition, too many parts).
    Malformed,
    Io(std::io::Error),
}

/// A `multipart/form-data` body on disk, split into its parts without reading them.
pub struct SpooledForm {
    parts: Vec<PartAt>,
}

impl SpooledForm {
    /// Finds the parts of `spool` (blocking I/O: call it off the async runtime). The parts
    /// named in `small_files` (files or text fields) of at most `file_max` bytes and other text
    /// fields of at most `text_max` bytes are read into memory; everything else stays on disk.
    pub fn read(
        spool: &Spool,
        boundary: &str,
        text_max: u64,
        small_files: &[&str],
        file_max: u64,
    ) -> Result<SpooledForm, FormError> {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        // The first delimiter has no CRLF before it: search as if the body began with one.
        let mut body = spool.file.try_clone().map_err(FormError::Io)?;
        body.seek(SeekFrom::Start(0)).map_err(FormError::Io)?;
        let mut input = std::io::Cursor::new(b"\r\n".to_vec()).chain(body);
        let found = find_all(&mut input, &delimiter, MAX_PARTS + 1).map_err(FormError::Io)?;
        let Some(found) = found else {
            return Err(FormError::Malformed);
        };
        // Positions in the body: delimiter `i` occupies [found[i] - 2, found[i] - 2 + len).
        let mut parts = Vec::new();
        let mut file = spool.file.try_clone().map_err(FormError::Io)?;
        for (i, &at) in found.iter().enumerate() {
            let after = at + delimiter.len() as u64 - 2;
            let mut two = [0u8; 2];
            if read_at(&mut file, after, &mut two).map_err(FormError::Io)? < 2 {
                return Err(FormError::Malformed);
            }
            if &two == b"--" {
                return Ok(SpooledForm { parts });
            }
            if &two != b"\r\n" {
                return Err(FormError::Malformed);
            }
            let Some(&next) = found.get(i + 1) else {
                // No closing delimiter: the body was cut short.
                return Err(FormError::Malformed);
            };
            let headers_start = after + 2;
            let part_end = next - 2;
            let window = (part_end.saturating_sub(headers_start)).min(MAX_PART_HEADERS + 4);
            let mut head = vec![0u8; window as usize];
            let n = read_at(&mut file, headers_start, &mut head).map_err(FormError::Io)?;
            head.truncate(n);
            let Some(end) = crate::ui::forms::find(&head, b"\r\n\r\n", 0) else {
                return Err(FormError::Malformed);
            };
            let headers = std::str::from_utf8(&head[..end]).map_err(|_| FormError::Malformed)?;
            let disposition = headers
                .split("\r\n")
                .find_map(|h| {
                    let (k, v) = h.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-disposition")
                        .then_some(v)
                })
                .ok_or(FormError::Malformed)?;
            if !disposition
                .trim_start()
                .get(..9)
                .is_some_and(|d| d.eq_ignore_ascii_case("form-data"))
            {
                return Err(FormError::Malformed);
            }
            let name = crate::ui::forms::disposition_param(disposition, "name")
                .ok_or(FormError::Malformed)?;
            let filename = crate::ui::forms::disposition_param(disposition, "filename")
                .map(|f| clean_file_name(&f));
            let start = headers_start + end as u64 + 4;
            let section = Section {
                file: spool.file.try_clone().map_err(FormError::Io)?,
                start,
                len: part_end.saturating_sub(start),
            };
            // A part named in `small_files` (a mapping, sent as a file or as a text field) up
            // to `file_max`, other text fields up to `text_max`, other files never.
            let small = if small_files.contains(&name.as_str()) {
                section.read_small(file_max).map_err(FormError::Io)?
            } else if filename.is_none() {
                section.read_small(text_max).map_err(FormError::Io)?
            } else {
                None
            };
            parts.push(PartAt {
                name,
                filename,
                section,
                small,
            });
        }
        Err(FormError::Malformed)
    }

    /// A text field's value, trimmed; `None` when absent, empty, too long or not UTF-8.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .and_then(|p| std::str::from_utf8(p.small.as_deref()?).ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// Whether the form has a text field of this name that was not read (too long).
    pub fn has_text_part(&self, name: &str) -> bool {
        self.parts
            .iter()
            .any(|p| p.name == name && p.filename.is_none() && p.small.is_none())
    }

    /// A file part, when a file was chosen: its name, its contents when they were read into
    /// memory, and its section on disk.
    pub fn file(&self, name: &str) -> Option<(&str, Option<&[u8]>, &Section)> {
        self.parts.iter().find(|p| p.name == name).and_then(|p| {
            Some((
                p.filename.as_deref().filter(|f| !f.is_empty())?,
                p.small.as_deref(),
                &p.section,
            ))
        })
    }
}

impl SpooledForm {
    /// Every file part of this name that has a file (a file input with `multiple`, or the
    /// same name repeated): its name and its section on disk, in the order sent.
    pub fn files(&self, name: &str) -> Vec<(&str, &Section)> {
        self.parts
            .iter()
            .filter(|p| p.name == name)
            .filter_map(|p| Some((p.filename.as_deref().filter(|f| !f.is_empty())?, &p.section)))
            .collect()
    }
}

/// Only the file's own name: a browser may send a path; no control characters.
pub fn clean_file_name(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// Reads into `buf` from `offset` until it is full or the file ends; the bytes read.
fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    file.seek(SeekFrom::Start(offset))?;
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The offsets of every occurrence of `needle` in `input`, read a block at a time; `None` when
/// there are more than `most`.
fn find_all(
    input: &mut impl Read,
    needle: &[u8],
    most: usize,
) -> std::io::Result<Option<Vec<u64>>> {
    let mut found = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity((256 << 10) + needle.len());
    // Offset in the input of buf[0].
    let mut base: u64 = 0;
    let mut block = vec![0u8; 256 << 10];
    loop {
        let n = input.read(&mut block)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&block[..n]);
        let mut from = 0;
        while let Some(i) = crate::ui::forms::find(&buf, needle, from) {
            found.push(base + i as u64);
            if found.len() > most {
                return Ok(None);
            }
            from = i + needle.len();
        }
        // Keep what could still begin an occurrence: fewer bytes than the needle, after the
        // last occurrence found.
        let keep_from = buf.len().saturating_sub(needle.len() - 1).max(from);
        base += keep_from as u64;
        buf.drain(..keep_from);
    }
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spooled(bytes: &[u8]) -> Spool {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        Spool { file }
    }

    fn contents(s: &Section) -> Vec<u8> {
        let mut out = Vec::new();
        s.open().unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn a_section_seeks_within_its_own_bounds() {
        let spool = spooled(b"0123456789");
        let section = Section {
            file: spool.file.try_clone().unwrap(),
            start: 2,
            len: 5,
        };
        let mut r = section.seekable().unwrap();
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"23456");
        assert_eq!(r.seek(SeekFrom::End(-2)).unwrap(), 3);
        // Another handle moving the shared file position does not disturb this one.
        let mut other = section.open().unwrap();
        let mut one = [0u8; 1];
        other.read_exact(&mut one).unwrap();
        let mut two = [0u8; 2];
        r.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"56");
        assert_eq!(r.read(&mut two).unwrap(), 0);
        assert_eq!(r.seek(SeekFrom::Current(-4)).unwrap(), 1);
        r.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"34");
        assert!(r.seek(SeekFrom::Current(-10)).is_err());
        assert_eq!(r.seek(SeekFrom::Start(50)).unwrap(), 50);
        assert_eq!(r.read(&mut two).unwrap(), 0);
    }

    #[test]
    fn a_spooled_form_yields_its_fields_and_files() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\exports\\\\sub.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n--not the end\r\n1,2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"mapping\"; filename=\"m.toml\"\r\n\r\nsource = \"odk\"\r\n--XyZ--\r\n";
        let spool = spooled(body.as_bytes());
        let form = SpooledForm::read(&spool, "XyZ", 100, &["mapping"], 100).unwrap();
        assert_eq!(form.text("_csrf"), Some("tok"));
        let (name, small, section) = form.file("file").unwrap();
        assert_eq!((name, small), ("sub.csv", None));
        assert_eq!(contents(section), b"a,b\r\n--not the end\r\n1,2");
        // Twice from the start, as the DHIS2 reader's two passes do.
        assert_eq!(contents(section), b"a,b\r\n--not the end\r\n1,2");
        let (_, small, _) = form.file("mapping").unwrap();
        assert_eq!(small, Some(&b"source = \"odk\""[..]));
    }

    #[test]
    fn a_delimiter_across_blocks_is_found() {
        // The delimiter straddles the 256 KiB read block.
        let mut body =
            b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n"
                .to_vec();
        let fill = (256 << 10) - body.len() - 3;
        body.extend(std::iter::repeat_n(b'a', fill));
        body.extend_from_slice(b"\r\n--B--\r\n");
        let spool = spooled(&body);
        let form = SpooledForm::read(&spool, "B", 10, &[], 10).unwrap();
        assert_eq!(contents(form.file("file").unwrap().2).len(), fill);
    }

    #[test]
    fn malformed_forms_are_refused_without_panicking() {
        let good = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B--\r\n";
        assert!(SpooledForm::read(&spooled(good.as_bytes()), "B", 10, &[], 10).is_ok());
        for end in 0..good.len() {
            let r = SpooledForm::read(&spooled(&good.as_bytes()[..end]), "B", 10, &[], 10);
            // Cut before the closing delimiter's dashes: refused, never a short form.
            if end < good.len() - 4 {
                assert!(r.is_err(), "{end}");
            }
        }
        for i in 0..good.len() {
            for b in [0u8, b'-', b'\r', b'\n', b'"', 0xff] {
                let mut body = good.as_bytes().to_vec();
                body[i] = b;
                let _ = SpooledForm::read(&spooled(&body), "B", 10, &[], 10);
            }
        }
        let many =
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n".repeat(30) + "--B--";
        assert!(SpooledForm::read(&spooled(many.as_bytes()), "B", 10, &[], 10).is_err());
        // A text field longer than the bound is not read.
        let long = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n12345678901\r\n--B--";
        let form = SpooledForm::read(&spooled(long.as_bytes()), "B", 10, &[], 10).unwrap();
        assert_eq!(form.text("a"), None);
    }
}
