//! Helpers shared by the dry-run tests (`read`, `rules`, `validate`,
//! `reports`): run the real binary in its own temporary directory and show
//! its stdout and stderr whenever an expectation fails; write inputs; read
//! the JSON report; check records through the library.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use storeload::findings::{Severity, Violation};
use storeload::platform::PlatformId;
use storeload::read::{self, ReadOptions};
use storeload::validate::pipeline::{self, CheckOptions};

/// A file of the repository, e.g. `repo("samples/customers.csv")`.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A file of the bad-input corpus, `tests/data/bad/<name>`.
pub fn bad(name: &str) -> PathBuf {
    repo(&format!("tests/data/bad/{name}"))
}

/// A sample, `samples/<name>`.
pub fn sample(name: &str) -> PathBuf {
    repo(&format!("samples/{name}"))
}

/// A path as the string the command line takes.
pub fn arg(p: &Path) -> String {
    p.to_str().expect("test paths are UTF-8").to_string()
}

/// A temporary working directory the binary runs in.
pub struct Work {
    dir: tempfile::TempDir,
}

impl Default for Work {
    fn default() -> Self {
        Self::new()
    }
}

impl Work {
    /// A fresh, empty directory, removed when dropped.
    pub fn new() -> Work {
        Work {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// `name` inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `bytes` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write a test input");
        p
    }

    /// Reads `name` inside the directory as text.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read a file the binary wrote")
    }

    /// Reads `name` inside the directory as bytes.
    pub fn read_bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read a file the binary wrote")
    }

    /// Runs `storeload ARGS` in the directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    /// Runs `storeload ARGS` in the directory with `stdin` as its input.
    pub fn run_stdin(&self, args: &[&str], stdin: impl Into<Vec<u8>>) -> Run {
        self.run_with_stdin(args, Some(stdin.into()))
    }

    fn run_with_stdin(&self, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
        let mut cmd = Command::cargo_bin("storeload").expect("the storeload binary is built");
        cmd.current_dir(self.dir.path())
            .args(args)
            .env_remove("STORELOAD_LOG")
            .timeout(std::time::Duration::from_secs(60));
        // assert_cmd always pipes stdin; with nothing to give, it is closed
        // at once, so a command that reads it sees an empty input.
        cmd.write_stdin(stdin.unwrap_or_default());
        let output = cmd.output().expect("the binary runs");
        Run::new(args, output)
    }

    /// Runs `storeload validate ARGS --json report.json` and returns the run
    /// and the parsed report.
    pub fn validate_json(&self, args: &[&str]) -> (Run, Value) {
        let json = arg(&self.path("report.json"));
        let mut all: Vec<&str> = vec!["validate"];
        all.extend_from_slice(args);
        all.extend(["--json", json.as_str()]);
        let run = self.run(&all);
        let text = std::fs::read_to_string(&json)
            .unwrap_or_else(|e| panic!("no JSON report ({e})\n{}", run.shown()));
        let value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("JSON report does not parse ({e}):\n{text}\n{}", run.shown())
        });
        (run, value)
    }
}

/// What a run of the binary did.
pub struct Run {
    /// The command line, for messages.
    pub args: String,
    /// Exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn new(args: &[&str], output: Output) -> Run {
        Run {
            args: args.join(" "),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The command line, exit code, stdout and stderr, for a failure message.
    pub fn shown(&self) -> String {
        format!(
            "--- storeload {}\n--- exit: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the process ended by itself (no signal), did not panic, and
    /// exited with `code`.
    pub fn exits(&self, code: i32) -> &Self {
        self.no_crash();
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\n{}",
            self.shown()
        );
        self
    }

    /// Asserts the process was not killed by a signal and did not panic.
    pub fn no_crash(&self) -> &Self {
        assert!(
            self.code.is_some(),
            "the process was ended by a signal\n{}",
            self.shown()
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "the process panicked\n{}",
            self.shown()
        );
        self
    }

    /// Asserts stdout contains `text`.
    pub fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "stdout should contain {text:?}\n{}",
            self.shown()
        );
        self
    }

    /// Asserts stderr contains `text`.
    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr should contain {text:?}\n{}",
            self.shown()
        );
        self
    }
}

/// `(line, rule)` of every finding in a JSON report, in report order.
pub fn lines_and_rules(report: &Value) -> Vec<(u64, String)> {
    report["violations"]
        .as_array()
        .expect("report.violations is an array")
        .iter()
        .map(|v| {
            (
                v["line"].as_u64().expect("violation.line"),
                v["rule"].as_str().expect("violation.rule").to_string(),
            )
        })
        .collect()
}

/// `summary.<key>` of a JSON report as a number.
pub fn summary(report: &Value, key: &str) -> u64 {
    report["summary"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{key} in {}", report["summary"]))
}

/// One record's outcome when checked through the library.
#[derive(Debug)]
pub struct Checked {
    /// Record number.
    pub record: u64,
    /// Line it starts on.
    pub line: u64,
    /// Whether it could be sent.
    pub valid: bool,
    /// Its findings.
    pub findings: Vec<Violation>,
}

/// Reads `path` (CSV or JSONL by its name), maps it with the auto-mapper
/// (storeload's snake_case names) and checks it for `platform` through the library, without the binary.
pub fn check_file(path: &Path, platform: PlatformId) -> Vec<Checked> {
    let input = read::open(&arg(path), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{} opens: {e}", path.display()));
    let mapping = storeload::mapping::auto::bind_input(&input)
        .unwrap_or_else(|e| panic!("the auto-mapper binds: {e}"))
        .expect("the auto-mapper reads a snake_case header");
    let mut out = Vec::new();
    pipeline::run(
        input.records,
        &mapping,
        platform.platform(),
        CheckOptions::default(),
        |c| {
            out.push(Checked {
                record: c.raw.number,
                line: c.raw.line,
                valid: c.is_valid(),
                findings: c.findings,
            });
            true
        },
    );
    out
}

/// `(line, rule)` of every violation (not warning) among `checked`.
pub fn violations(checked: &[Checked]) -> Vec<(u64, &'static str)> {
    checked
        .iter()
        .flat_map(|c| c.findings.iter())
        .filter(|v| v.severity == Severity::Violation)
        .map(|v| (v.line, v.rule))
        .collect()
}

/// `(line, rule)` of every warning among `checked`.
pub fn warnings(checked: &[Checked]) -> Vec<(u64, &'static str)> {
    checked
        .iter()
        .flat_map(|c| c.findings.iter())
        .filter(|v| v.severity == Severity::Warning)
        .map(|v| (v.line, v.rule))
        .collect()
}

/// `(record, line, byte offset)` of every record the reader yields for
/// `path` with `options`, through the library.
pub fn positions(path: &Path, options: &ReadOptions) -> Vec<(u64, u64, u64)> {
    let input =
        read::open(&arg(path), options).unwrap_or_else(|e| panic!("{} opens: {e}", path.display()));
    input
        .records
        .map(|r| (r.number, r.line, r.offset))
        .collect()
}

/// gzip-compresses `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}
