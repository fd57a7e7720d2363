//! Helpers for the tests that run imports against the sandbox: the sandbox
//! on its own runtime, the binary with a clean environment, input files and
//! journal readers. Each test file uses a part of them.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use storeload::sandbox::{self, SandboxConfig, SandboxHandle};

/// A sandbox running on its own runtime, for the length of one test.
pub struct Sandbox {
    runtime: tokio::runtime::Runtime,
    handle: Option<SandboxHandle>,
}

impl Sandbox {
    pub fn start(config: SandboxConfig) -> Sandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime builds");
        let handle = runtime
            .block_on(sandbox::start(config))
            .expect("the sandbox binds 127.0.0.1:0");
        Sandbox {
            runtime,
            handle: Some(handle),
        }
    }

    pub fn handle(&self) -> &SandboxHandle {
        self.handle.as_ref().expect("handle present until drop")
    }

    pub fn base_url(&self, platform: &str) -> String {
        self.handle().base_url(platform)
    }

    pub fn customers(&self, platform: &str) -> Vec<Value> {
        self.handle().customers(platform)
    }

    /// Asserts that the sandbox holds each of `emails` exactly once on
    /// `platform`, and nothing else.
    #[track_caller]
    pub fn assert_each_stored_once(&self, platform: &str, emails: &[String]) {
        let stored = self.email_counts(platform);
        for e in emails {
            assert_eq!(
                stored.get(e),
                Some(&1),
                "{platform}: {e} stored exactly once"
            );
        }
        assert_eq!(
            stored.len(),
            emails.len(),
            "{platform}: nothing else stored"
        );
    }

    /// Stored emails → how many times each is stored.
    pub fn email_counts(&self, platform: &str) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for c in self.customers(platform) {
            if let Some(e) = c.get("email").and_then(Value::as_str) {
                *m.entry(e.to_lowercase()).or_insert(0) += 1;
            }
        }
        m
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.stop());
        }
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_storeload"))
}

pub fn env_for(platform: &str) -> Vec<(&'static str, String)> {
    match platform {
        "bigcommerce" => vec![
            (
                "BIGCOMMERCE_STORE_HASH",
                sandbox::BIGCOMMERCE_STORE_HASH.to_string(),
            ),
            (
                "BIGCOMMERCE_ACCESS_TOKEN",
                sandbox::BIGCOMMERCE_ACCESS_TOKEN.to_string(),
            ),
        ],
        "salesive" => vec![(
            "SALESIVE_APP_TOKEN",
            sandbox::SALESIVE_APP_TOKEN.to_string(),
        )],
        _ => vec![("BITBYBIT_API_KEY", sandbox::BITBYBIT_API_KEY.to_string())],
    }
}

pub fn command(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("BIGCOMMERCE_STORE_HASH")
        .env_remove("BIGCOMMERCE_ACCESS_TOKEN")
        .env_remove("SALESIVE_APP_TOKEN")
        .env_remove("BITBYBIT_API_KEY")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub fn run(args: &[&str], env: &[(&str, String)]) -> Output {
    let out = command(args, env).output().expect("the binary runs");
    eprintln!(
        "$ storeload {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Writes `n` valid customers (generic layout) plus `invalid` rows with no
/// email, and returns the valid emails.
pub fn write_customers(path: &Path, n: usize, invalid: usize, tag: &str) -> Vec<String> {
    let mut s = String::from("email,first_name,last_name,phone,address1,city,country_code\n");
    let mut emails = Vec::new();
    for i in 0..n {
        let email = format!("{tag}{i}@example.com");
        s.push_str(&format!(
            "{email},First{i},Last{i},+1555{i:07},{i} Main St,Springfield,US\n"
        ));
        emails.push(email);
    }
    for i in 0..invalid {
        s.push_str(&format!(",NoEmail{i},Person,,1 St,Town,US\n"));
    }
    std::fs::write(path, s).expect("write input");
    emails
}

pub fn journal_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("journal readable")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Key → last outcome type in the journal.
pub fn journal_outcomes(path: &Path) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for v in journal_lines(path) {
        let t = v["type"].as_str().unwrap_or("").to_string();
        match t.as_str() {
            "sent" => {
                for r in v["records"].as_array().into_iter().flatten() {
                    m.insert(r["key"].as_str().unwrap_or("").to_string(), "sent".into());
                }
            }
            "created" | "exists" | "rejected" | "failed" | "in_doubt" => {
                m.insert(v["key"].as_str().unwrap_or("").to_string(), t);
            }
            _ => {}
        }
    }
    m
}

pub fn import_args<'a>(
    input: &'a str,
    to: &'a str,
    journal: &'a str,
    base: &'a str,
) -> Vec<&'a str> {
    vec![
        "import",
        input,
        "--to",
        to,
        "--journal",
        journal,
        "--base-url",
        base,
        "--quiet",
        "--rate",
        "1000/1s",
        "--timeout",
        "3",
    ]
}

/// Asserts that the journal's last word on each of `emails` is `created` or
/// `exists`: it agrees with a sandbox holding every one of them.
#[track_caller]
pub fn assert_journal_agrees(journal: &Path, emails: &[String]) {
    let outcomes = journal_outcomes(journal);
    for e in emails {
        let o = outcomes.get(e).map(String::as_str);
        assert!(
            matches!(o, Some("created") | Some("exists")),
            "journal says {o:?} for {e}"
        );
    }
}

/// One test's import: a sandbox, a scratch directory holding an input of
/// valid customers and the journal's path, and the platform to load.
pub struct Rig {
    pub sb: Sandbox,
    pub dir: tempfile::TempDir,
    pub input: PathBuf,
    pub journal: PathBuf,
    pub emails: Vec<String>,
    pub platform: &'static str,
    pub base: String,
}

impl Rig {
    /// `n` valid customers (emails `{tag}{i}@example.com`) for `platform`,
    /// on a sandbox with the default configuration.
    pub fn new(platform: &'static str, n: usize, tag: &str) -> Rig {
        Rig::with(SandboxConfig::default(), platform, (n, 0), tag)
    }

    /// `valid` then `invalid` customers (see [`write_customers`]), on a
    /// sandbox started with `config`.
    pub fn with(
        config: SandboxConfig,
        platform: &'static str,
        (valid, invalid): (usize, usize),
        tag: &str,
    ) -> Rig {
        let sb = Sandbox::start(config);
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.csv");
        let journal = dir.path().join("run.journal");
        let emails = write_customers(&input, valid, invalid, tag);
        let base = sb.base_url(platform);
        Rig {
            sb,
            dir,
            input,
            journal,
            emails,
            platform,
            base,
        }
    }

    /// `n` valid customers for BigCommerce on a sandbox whose quota admits
    /// `admitted` requests in ten minutes: an import of them is held
    /// waiting once they are spent (a state a test can act in).
    pub fn held(admitted: u32, n: usize, tag: &str) -> Rig {
        let quota = format!("{admitted}/600s").parse().expect("a quota");
        Rig::with(
            SandboxConfig {
                quota: Some(quota),
                ..SandboxConfig::default()
            },
            "bigcommerce",
            (n, 0),
            tag,
        )
    }

    /// The input's path, as an argument.
    pub fn input(&self) -> &str {
        self.input.to_str().expect("a UTF-8 temporary path")
    }

    /// The journal's path, as an argument.
    pub fn journal(&self) -> &str {
        self.journal.to_str().expect("a UTF-8 temporary path")
    }

    /// The arguments of the import (see [`import_args`]).
    pub fn args(&self) -> Vec<&str> {
        import_args(self.input(), self.platform, self.journal(), &self.base)
    }

    /// Runs the import with the platform's credentials.
    pub fn import(&self) -> Output {
        run(&self.args(), &env_for(self.platform))
    }

    /// Runs `storeload resume JOURNAL --quiet`, then `extra`, with the
    /// platform's credentials.
    pub fn resume(&self, extra: &[&str]) -> Output {
        let mut args = vec!["resume", self.journal(), "--quiet"];
        args.extend_from_slice(extra);
        run(&args, &env_for(self.platform))
    }
}

/// Starts storeload with `args` and `env`, its output piped.
pub fn spawn(args: &[&str], env: &[(&str, String)]) -> std::process::Child {
    command(args, env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Waits for `child` to end and returns its output; one still going a
/// minute later is killed and fails the test (a failure of the run, not a
/// timing assumption: `what` says what should have ended it).
pub fn wait_bounded(mut child: std::process::Child, what: &str) -> Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("try_wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("storeload did not end: {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.wait_with_output().expect("wait")
}

/// How many complete lines of type `kind` (`sent`, `created`, …) the
/// journal at `path` holds now.
pub fn journal_count(path: &Path, kind: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0;
    };
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == kind)
        .count()
}

/// Waits, polling the journal, until it holds at least `n` lines of type
/// `kind`; `false` when `child` ended first (or after a minute, which is a
/// failure of the run, not a timing assumption of the test).
pub fn wait_for(path: &Path, kind: &str, n: usize, child: &mut std::process::Child) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if journal_count(path, kind) >= n {
            return true;
        }
        if child.try_wait().ok().flatten().is_some() || std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
