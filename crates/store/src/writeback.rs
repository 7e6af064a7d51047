//! Writing a sync's pages to disk while the sync goes on.
//!
//! A sync over a stored book on SQLite writes its changed pages into the write-ahead log, a
//! gigabyte and more for ten million invoices; at its commit SQLite syncs the log to disk,
//! copies it into the store's file and syncs that. A first book goes straight into the file
//! (see `Store::open_for_first_book`), four gigabytes for ten million invoices, synced at the
//! commit. Left alone, the kernel holds much of it in memory until those syncs, which then
//! wait for the disk to take it all at once. Here a thread asks the kernel, a few times a
//! second, to start writing what the log and the file hold so far, without waiting for it:
//! the disk works while the sync does, and SQLite's own syncs, which still make the sync
//! durable, find little left to write.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the thread asks.
const EVERY: Duration = Duration::from_millis(250);

/// The thread, asking until dropped.
pub struct Writeback {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Writeback {
    /// Starts asking for the store file `db` and its log, when it has one.
    pub(crate) fn start(db: &Path) -> Writeback {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        let files = [PathBuf::from(wal), db.to_owned()];
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("writeback".into())
            .spawn(move || {
                let mut open: [Option<File>; 2] = [None, None];
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    for (path, file) in files.iter().zip(open.iter_mut()) {
                        // The log appears with the sync's first write.
                        if file.is_none() {
                            *file = File::open(path).ok();
                        }
                        if let Some(file) = file {
                            start_writing(file);
                        }
                    }
                }
            })
            .ok();
        Writeback {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Asks the kernel to start writing the file's changed pages to disk, without waiting.
#[cfg(target_os = "linux")]
fn start_writing(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain system call on a descriptor this thread holds open; it reads no memory.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writing(_file: &File) {}
