//! Where a report goes, and what it may not overwrite. A report path of `-`
//! is standard output; any other path is written to a temporary file beside
//! it and renamed into place only when complete, so a full disk or a crash
//! never leaves a truncated report at the path. [`refuse_run_files`] is the
//! one guard every command uses to keep a report path off the run's own
//! files (journal, input, spool, state, catalog), compared after resolving
//! links.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Whether `path` names standard output (`-`).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// `path` with its links resolved, for comparing two paths: the real path of
/// what exists; for a path that does not exist yet, its parent's real path
/// joined with its file name; else the path made absolute as written.
pub fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let (Ok(dir), Some(name)) = (std::fs::canonicalize(parent), path.file_name()) {
        return dir.join(name);
    }
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Refuses a report path that names one of the run's own files, or another
/// report of the same run. `outputs` are `(flag, path)` pairs such as
/// `("--json", path)`; `run_files` are `(what, path)` pairs such as
/// `("the journal", path)`. Exit 2, naming both paths.
pub fn refuse_run_files(
    outputs: &[(&str, &Path)],
    run_files: &[(&str, &Path)],
) -> Result<(), CliError> {
    let run: Vec<(&str, &Path, PathBuf)> = run_files
        .iter()
        .filter(|(_, p)| !is_stdout(p))
        .map(|(what, p)| (*what, *p, resolved(p)))
        .collect();
    let mut seen: Vec<(&str, &Path, Option<PathBuf>)> = Vec::new();
    for (flag, out) in outputs {
        if is_stdout(out) {
            if let Some((other, _, _)) = seen.iter().find(|(_, _, r)| r.is_none()) {
                return Err(CliError::usage(format!(
                    "{flag} - and {other} - would both write to standard output\n\nGive one of them a file path."
                )));
            }
            seen.push((flag, out, None));
            continue;
        }
        let real = resolved(out);
        if let Some((what, path, _)) = run.iter().find(|(_, _, r)| *r == real) {
            return Err(CliError::usage(format!(
                "{flag} {}: is {what} of this run ({}); writing the report there would overwrite it\n\nGive {flag} another path.",
                out.display(),
                path.display()
            )));
        }
        if let Some((other, path, _)) = seen.iter().find(|(_, _, r)| r.as_ref() == Some(&real)) {
            return Err(CliError::usage(format!(
                "{flag} {} and {other} {} name the same file; one report would replace the other\n\nGive each report its own path.",
                out.display(),
                path.display()
            )));
        }
        seen.push((flag, out, Some(real)));
    }
    Ok(())
}

/// A report being written: to standard output, straight to a path that is
/// not a regular file (`/dev/null`, a FIFO), or to a temporary file beside
/// its path that [`ReportFile::commit`] renames into place. Dropped without
/// a commit, the temporary file is removed and the path left as it was.
pub struct ReportFile {
    sink: Sink,
    /// The directory spools of this report go to.
    dir: Option<PathBuf>,
}

enum Sink {
    Stdout(io::Stdout),
    Direct(File),
    Staged {
        file: tempfile::NamedTempFile,
        target: PathBuf,
    },
}

impl ReportFile {
    /// Opens the report at `path` (`-`: standard output). `what` names the
    /// report in errors, e.g. "the JSON report".
    pub fn create(path: &Path, what: &str) -> Result<ReportFile, CliError> {
        let cannot = |e: io::Error| {
            CliError::usage(format!(
                "{}: cannot create {what}: {e}\n\nCheck that its folder exists and is writable, or give another path.",
                path.display()
            ))
        };
        if is_stdout(path) {
            return Ok(ReportFile {
                sink: Sink::Stdout(io::stdout()),
                dir: None,
            });
        }
        // Links resolved: a link to a report is replaced by the report at
        // its target, not by a file where the link was.
        let target = resolved(path);
        if std::fs::metadata(&target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            // A device or FIFO cannot be renamed over: write to it.
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(cannot)?;
            return Ok(ReportFile {
                sink: Sink::Direct(file),
                dir: None,
            });
        }
        if target.is_dir() {
            return Err(cannot(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            )));
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".part");
        #[cfg(unix)]
        {
            // The mode File::create uses (before the umask), not 0600.
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let file = builder.tempfile_in(&dir).map_err(cannot)?;
        Ok(ReportFile {
            sink: Sink::Staged { file, target },
            dir: Some(dir),
        })
    }

    /// An anonymous scratch file, removed when closed, beside the report
    /// (or in the system's temporary folder for standard output).
    pub fn spool(&self) -> io::Result<File> {
        match &self.dir {
            Some(d) => tempfile::tempfile_in(d),
            None => tempfile::tempfile(),
        }
    }

    /// Flushes the report and, for a file, syncs it and renames it into place.
    pub fn commit(self) -> io::Result<()> {
        match self.sink {
            Sink::Stdout(mut out) => ignore_broken_pipe(out.flush()),
            Sink::Direct(mut f) => f.flush(),
            Sink::Staged { mut file, target } => {
                file.flush()?;
                file.as_file().sync_all()?;
                file.persist(&target).map(|_| ()).map_err(|e| e.error)
            }
        }
    }
}

/// A reader of a report on standard output that went away (`| head`) is not
/// an error of the run: the rest of the report is dropped.
fn ignore_broken_pipe(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

impl Write for ReportFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Stdout(out) => match out.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(buf.len()),
                r => r,
            },
            Sink::Direct(f) => f.write(buf),
            Sink::Staged { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(out) => ignore_broken_pipe(out.flush()),
            Sink::Direct(f) => f.flush(),
            Sink::Staged { file, .. } => file.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_appears_at_its_path_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, "old").unwrap();
        let mut r = ReportFile::create(&path, "the JSON report").unwrap();
        r.write_all(b"new report").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        r.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new report");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_report_dropped_before_commit_leaves_the_path_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, "old").unwrap();
        let mut r = ReportFile::create(&path, "the rejects file").unwrap();
        r.write_all(b"half a rep").unwrap();
        drop(r);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_report_through_a_link_replaces_the_target_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.html");
        let link = dir.path().join("link.html");
        std::fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut r = ReportFile::create(&link, "the HTML report").unwrap();
        r.write_all(b"page").unwrap();
        r.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "page");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn a_report_to_dev_null_is_written_through_not_renamed_over() {
        let dev_null = Path::new("/dev/null");
        if !dev_null.exists() {
            return;
        }
        let mut r = ReportFile::create(dev_null, "the JSON report").unwrap();
        r.write_all(b"x").unwrap();
        r.commit().unwrap();
        let m = std::fs::metadata(dev_null).unwrap();
        assert!(!m.is_file(), "/dev/null is still a device");
    }

    #[test]
    fn the_guard_names_the_run_file_and_the_report_path() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("run.journal");
        std::fs::write(&journal, "{}").unwrap();
        let same = dir.path().join(".").join("run.journal");
        let err =
            refuse_run_files(&[("--rejects", &same)], &[("the journal", &journal)]).unwrap_err();
        assert_eq!(err.exit, crate::error::Exit::Usage);
        assert!(err.message.contains("--rejects"), "{}", err.message);
        assert!(err.message.contains("the journal"), "{}", err.message);
        assert!(
            err.message.contains(&journal.display().to_string()),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_guard_compares_a_path_not_yet_written_through_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        // The journal does not exist yet; the output names it by another route.
        let journal = sub.join("run.journal");
        let other = sub.join("..").join("sub").join("run.journal");
        assert!(refuse_run_files(&[("--json", &other)], &[("the journal", &journal)]).is_err());
        let fine = sub.join("report.json");
        assert!(refuse_run_files(&[("--json", &fine)], &[("the journal", &journal)]).is_ok());
    }

    #[test]
    fn the_guard_refuses_two_reports_at_one_path_and_two_on_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        assert!(refuse_run_files(&[("--json", &a), ("--html", &a)], &[]).is_err());
        let dash = Path::new("-");
        assert!(refuse_run_files(&[("--json", dash), ("--html", dash)], &[]).is_err());
        assert!(refuse_run_files(&[("--json", dash), ("--html", &a)], &[]).is_ok());
    }
}
