//! The journal file: opened with an exclusive lock, scanned for damage, appended
//! to in groups that are written and synced together.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::record::{self, Record};
use super::StoreError;

/// A damaged stretch of the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset where it starts.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
    /// True when it runs to the end of the file (a torn or garbled tail).
    pub at_end: bool,
}

/// What a journal holds: readable records in order, and the damage found.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// Records with their byte offsets.
    pub records: Vec<(u64, Record)>,
    /// Damaged stretches, in file order.
    pub damage: Vec<Damage>,
}

impl Scan {
    /// Splits `bytes` into records, collecting the damaged lines into stretches.
    pub fn parse(bytes: &[u8]) -> Self {
        let mut scan = Scan::default();
        let mut start = 0usize;
        while start < bytes.len() {
            let (end, next) = match bytes[start..].iter().position(|&b| b == b'\n') {
                Some(i) => (start + i, start + i + 1),
                None => (bytes.len(), bytes.len()),
            };
            // A line without its newline is torn even if its checksum holds.
            let rec = if next > end { record::decode(&bytes[start..end]) } else { None };
            match rec {
                Some(r) => scan.records.push((start as u64, r)),
                None => scan.note_damage(start as u64, (next - start) as u64),
            }
            start = next;
        }
        if let Some(last) = scan.damage.last_mut() {
            last.at_end = last.offset + last.len == bytes.len() as u64;
        }
        scan
    }

    fn note_damage(&mut self, offset: u64, len: u64) {
        match self.damage.last_mut() {
            Some(d) if d.offset + d.len == offset => d.len += len,
            _ => self.damage.push(Damage { offset, len, at_end: false }),
        }
    }

    /// The header record, when the first record is one.
    pub fn header(&self) -> Option<&Record> {
        match self.records.first() {
            Some((0, r @ Record::Study { .. })) => Some(r),
            _ => None,
        }
    }

    /// Reads a journal without locking it (for `trials` and `best`).
    pub fn read(path: &Path) -> Result<Self, StoreError> {
        let bytes = std::fs::read(path).map_err(|e| StoreError::io(path, e))?;
        Ok(Self::parse(&bytes))
    }
}

/// An open journal, locked against other runs for as long as it lives.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Opens (creating if needed) and locks the journal at `path`, and reads it.
    /// Fails with [`StoreError::Locked`] when another run holds it.
    pub fn open(path: &Path) -> Result<(Self, Scan), StoreError> {
        Self::open_locking(path, false)
    }

    /// Like [`open`](Self::open), but waits for another run to release the journal.
    pub fn open_waiting(path: &Path) -> Result<(Self, Scan), StoreError> {
        Self::open_locking(path, true)
    }

    fn open_locking(path: &Path, wait: bool) -> Result<(Self, Scan), StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| StoreError::io(path, e))?;
        lock(&file, path, wait)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| StoreError::io(path, e))?;
        Ok((Self { file, path: path.to_path_buf() }, Scan::parse(&bytes)))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves a damaged tail starting at `offset` into `<journal>.damaged` (so no
    /// byte is destroyed) and cuts the journal back to its last good record.
    pub fn cut_tail(&mut self, offset: u64) -> Result<PathBuf, StoreError> {
        let aside = sidecar(&self.path, "damaged");
        let mut tail = Vec::new();
        self.file.seek(SeekFrom::Start(offset)).map_err(|e| StoreError::io(&self.path, e))?;
        self.file.read_to_end(&mut tail).map_err(|e| StoreError::io(&self.path, e))?;
        let mut out =
            OpenOptions::new().create(true).append(true).open(&aside).map_err(|e| StoreError::io(&aside, e))?;
        out.write_all(&tail).and_then(|()| out.sync_all()).map_err(|e| StoreError::io(&aside, e))?;
        self.file.set_len(offset).and_then(|()| self.file.sync_all()).map_err(|e| StoreError::io(&self.path, e))?;
        Ok(aside)
    }

    /// Renames the journal aside (to start a new study under the same name) and
    /// opens a fresh, locked, empty one in its place. Returns where the old one went.
    pub fn replace(self) -> Result<(Self, PathBuf), StoreError> {
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let old = sidecar(&self.path, &format!("replaced-{unix}"));
        std::fs::rename(&self.path, &old).map_err(|e| StoreError::io(&self.path, e))?;
        let path = self.path.clone();
        drop(self);
        let (fresh, _) = Self::open(&path)?;
        Ok((fresh, old))
    }

    /// Appends records and syncs them to disk before returning.
    pub fn append(&mut self, records: &[Record]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let text: String = records.iter().map(record::encode).collect();
        self.file.seek(SeekFrom::End(0)).map_err(|e| StoreError::io(&self.path, e))?;
        self.file.write_all(text.as_bytes()).map_err(|e| StoreError::io(&self.path, e))?;
        self.file.sync_data().map_err(|e| StoreError::io(&self.path, e))
    }

    /// Syncs the directory so a newly created journal's name survives a crash.
    pub fn sync_dir(&self) -> Result<(), StoreError> {
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StoreError::io(dir, e))
    }
}

/// `<journal>.<suffix>` beside the journal.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

fn lock(file: &File, path: &Path, wait: bool) -> Result<(), StoreError> {
    let op = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    loop {
        // SAFETY: flock on a descriptor we own; no memory is involved.
        let r = unsafe { libc::flock(file.as_raw_fd(), op) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        match e.kind() {
            std::io::ErrorKind::Interrupted => continue,
            std::io::ErrorKind::WouldBlock => return Err(StoreError::Locked { path: path.to_path_buf() }),
            _ => return Err(StoreError::io(path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(trial: usize) -> String {
        record::encode(&Record::Finished { trial, value: 1.5, seconds: 0.0 })
    }

    #[test]
    fn torn_tail_and_garbage_are_one_stretch_at_the_end() {
        let good = format!("{}{}", line(0), line(1));
        let torn = &line(2)[..10];
        let bytes = format!("{good}{torn}\nGARBAGE\n{{}}");
        let scan = Scan::parse(bytes.as_bytes());
        assert_eq!(scan.records.len(), 2);
        let len = (bytes.len() - good.len()) as u64;
        assert_eq!(scan.damage, vec![Damage { offset: good.len() as u64, len, at_end: true }]);
    }

    #[test]
    fn damage_in_the_middle_keeps_what_follows() {
        let bytes = format!("{}xx\n{}", line(0), line(1));
        let scan = Scan::parse(bytes.as_bytes());
        assert_eq!(scan.records.len(), 2);
        assert_eq!(scan.damage, vec![Damage { offset: line(0).len() as u64, len: 3, at_end: false }]);
    }

    #[test]
    fn a_complete_record_without_its_newline_is_torn() {
        let l = line(0);
        let scan = Scan::parse(l.trim_end().as_bytes());
        assert!(scan.records.is_empty());
        assert_eq!(scan.damage.len(), 1);
    }

    #[test]
    fn second_open_is_refused_while_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.journal");
        let (_j, _) = Journal::open(&path).unwrap();
        assert!(matches!(Journal::open(&path), Err(StoreError::Locked { .. })));
    }
}
