//! http_floor — what the HTTP stack alone costs per request, for issue 6's
//! "client CPU per request" figure: the same requests `storeload import`
//! would send, built up front, then sent with the writer's own
//! `writer::http::send` on a current-thread runtime at the same
//! concurrency, with no journal, no checks and no answer parsing.
//!
//! ```text
//! BIGCOMMERCE_ACCESS_TOKEN=… cargo run --release --example http_floor -- INPUT.csv BASE_URL [CONCURRENCY]
//! ```
//!
//! INPUT is a Shopify-layout file (gen_customers); BASE_URL a BigCommerce
//! base URL (the sandbox's `http://127.0.0.1:PORT/stores/sandbox/v3`).
//! Prints the sending thread's CPU per request, from
//! `/proc/thread-self/schedstat` (Linux; nanoseconds, on-CPU time): every
//! request, connection and answer is handled on that one thread. Emails are
//! made unique per run, so every request creates its ten customers, as an
//! import's would.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use storeload::findings::Findings;
use storeload::mapping::{Origin, presets};
use storeload::model::Customer;
use storeload::platform::{Credentials, Endpoint, PlatformId};
use storeload::read::{self, ReadOptions};
use storeload::writer::http;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!(
            "usage: http_floor INPUT.csv BASE_URL [CONCURRENCY]  (token in BIGCOMMERCE_ACCESS_TOKEN)"
        );
        return ExitCode::from(2);
    }
    let concurrency: usize = args.get(2).and_then(|c| c.parse().ok()).unwrap_or(4);
    let Ok(secret) = std::env::var("BIGCOMMERCE_ACCESS_TOKEN") else {
        eprintln!("http_floor: set BIGCOMMERCE_ACCESS_TOKEN");
        return ExitCode::from(2);
    };
    match run(&args[0], &args[1], concurrency, secret) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_floor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(input: &str, base_url: &str, concurrency: usize, secret: String) -> Result<(), String> {
    let mut input = read::open(input, &ReadOptions::default()).map_err(|e| e.to_string())?;
    let mapping = presets::SHOPIFY
        .bind_input(Origin::Preset("shopify"), &input)
        .map_err(|e| e.to_string())?;
    let tag = std::process::id();
    let records = std::mem::replace(&mut input.records, read::Records::empty());
    let customers: Vec<Customer> = records
        .filter_map(|raw| {
            let mut f = Findings::new(raw.number, raw.line);
            mapping.map(&raw, &mut f)
        })
        .map(|mut c| {
            c.email = c.email.map(|e| format!("floor{tag}.{e}").into());
            c
        })
        .collect();
    let endpoint = Endpoint {
        base_url: base_url.trim_end_matches('/').to_string(),
        credentials: Credentials {
            secret,
            store_hash: Some("sandbox".into()),
        },
        options: Default::default(),
    };
    let platform = PlatformId::Bigcommerce.platform();
    let requests: Vec<_> = customers
        .chunks(platform.batch_size())
        .map(|batch| {
            let batch: Vec<&Customer> = batch.iter().collect();
            platform.create_customers(&endpoint, &batch)
        })
        .collect();
    let n = requests.len();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = http::client_builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    let client = Arc::new(client);
    let cpu_before = thread_cpu()?;
    let started = Instant::now();
    let statuses = runtime.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for request in requests {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let client = client.clone();
            tasks.spawn(async move {
                let answer = http::send(&client, &request, Duration::from_secs(30)).await;
                let status = answer.map(|a| a.status).unwrap_or(0);
                drop(permit);
                status
            });
        }
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        while let Some(status) = tasks.join_next().await {
            *statuses.entry(status.unwrap_or(0)).or_default() += 1;
        }
        statuses
    });
    let cpu = thread_cpu()? - cpu_before;
    let wall = started.elapsed();
    println!(
        "{n} requests in {:.2} s at concurrency {concurrency}, answers {statuses:?}",
        wall.as_secs_f64()
    );
    println!(
        "sending thread CPU: {:.1} ms, {:.1} µs per request",
        cpu.as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    Ok(())
}

/// This thread's on-CPU time so far (`/proc/thread-self/schedstat`, first field, ns).
fn thread_cpu() -> Result<Duration, String> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .map_err(|e| format!("cannot read /proc/thread-self/schedstat (Linux only): {e}"))?;
    let ns: u64 = text
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("unexpected /proc/thread-self/schedstat: {text}"))?;
    Ok(Duration::from_nanos(ns))
}
