//! Reading and writing the files warroom is given and makes, safely.
//!
//! Every file read whole has a cap ([`max_bytes`]: 64 MiB, or `WARROOM_MAX_FILE_MB`): `/dev/zero`
//! or a runaway log given by mistake is refused at once with a clear error, not read for
//! gigabytes. A file read as it streams ([`open_streamed`]: an import) is not held whole, so a
//! regular file is not capped (its size is known: an import holds 16 bytes per event and what
//! must wait, see `store/import.rs`); anything else (a device, a pipe) is read whole, capped.
//! Every file written goes whole or not at all ([`write_atomically`]): to a temporary file
//! beside it, synced, then renamed over it; on a failure (a full disk) the temporary file is
//! removed and the earlier file is as it was.

use std::io::{self, Read, Write};
use std::path::Path;

/// The default cap on a file read, in MiB.
pub const DEFAULT_MAX_MB: u64 = 64;

/// How many bytes a file read may take: `WARROOM_MAX_FILE_MB` MiB, else [`DEFAULT_MAX_MB`].
pub fn max_bytes() -> u64 {
    std::env::var("WARROOM_MAX_FILE_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|mb| *mb > 0)
        .unwrap_or(DEFAULT_MAX_MB)
        .saturating_mul(1024 * 1024)
}

/// Reads at most `cap` bytes of `reader`; more is an error saying the cap.
///
/// # Errors
/// The reader's error, or [`io::ErrorKind::FileTooLarge`] past the cap.
pub fn read_capped(reader: impl Read, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} MiB (raise WARROOM_MAX_FILE_MB if it really is that big)",
                cap / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
}

/// Reads a whole file, up to [`max_bytes`].
///
/// # Errors
/// As [`read_capped`], or the file cannot be opened.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    read_capped(std::fs::File::open(path)?, max_bytes())
}

/// Reads a whole text file (UTF-8), up to [`max_bytes`].
///
/// # Errors
/// As [`read`], or [`io::ErrorKind::InvalidData`] when it is not UTF-8.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Opens `path` to be read as it streams: a regular file as it is (its size is known, and the
/// reader does not hold it whole); anything else (a device, a pipe: it may never end) read whole
/// first, up to [`max_bytes`].
///
/// # Errors
/// As [`read`].
pub fn open_streamed(path: &Path) -> io::Result<Box<dyn Read>> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_file() {
        return Ok(Box::new(file));
    }
    Ok(Box::new(io::Cursor::new(read_capped(file, max_bytes())?)))
}

/// Writes `path` whole or not at all: `fill` writes into a temporary file in the same folder,
/// which is synced and renamed over `path`. When `fill` or the write fails, nothing of the new
/// file is left and an earlier `path` is intact.
///
/// # Errors
/// What `fill`, the temporary file, the sync or the rename said.
pub fn write_atomically(path: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Dropped on any early return: the temporary file is removed.
    let mut file = tempfile::Builder::new().prefix(".warroom-").suffix(".tmp").tempfile_in(dir)?;
    {
        let mut out = io::BufWriter::new(file.as_file_mut());
        fill(&mut out)?;
        out.flush()?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // The rename itself is durable once the folder is synced (where the platform can).
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Writes `bytes` to `path` whole or not at all (see [`write_atomically`]).
///
/// # Errors
/// As [`write_atomically`].
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically(path, |out| out.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Defect: a failed export destroyed the earlier good one (written in place). A write that
    /// fails half-way leaves the earlier file whole and nothing else behind.
    #[test]
    fn a_failed_write_leaves_the_earlier_file_whole_and_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("export.json");
        write(&path, b"{\"good\": true}\n").unwrap_or_else(|e| panic!("{e}"));
        let failed = write_atomically(&path, |out| {
            out.write_all(b"{\"half\": ")?;
            Err(io::Error::new(io::ErrorKind::StorageFull, "No space left on device"))
        });
        assert_eq!(failed.map_err(|e| e.kind()), Err(io::ErrorKind::StorageFull));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"{\"good\": true}\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|e| e.map(|e| e.file_name()).unwrap_or_default())
            .collect();
        assert_eq!(names, ["export.json"], "no temporary file is left");
        write(&path, b"new\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"new\n");
    }

    /// Defect: `topology check /dev/zero` read ~7 GB. A read stops past the cap and says so.
    #[test]
    fn reads_stop_at_the_cap() {
        let endless = io::repeat(0).take(u64::MAX);
        let err = read_capped(endless, 1024 * 1024).map(|b| b.len()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
        assert_eq!(read_capped(&b"abc"[..], 3).map(|b| b.len()).ok(), Some(3));
    }
}
