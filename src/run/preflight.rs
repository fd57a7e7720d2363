//! The pre-flight of a run, and all of `storeload check`: credentials
//! present and accepted, the scopes an import needs where they can be seen,
//! and the quota the platform reports; it stores nothing. An import runs it
//! before it reads its input, so bad credentials fail in a second.

use std::time::Duration;

use crate::error::CliError;
use crate::platform::{Endpoint, Platform, QuotaHint, Request, Response, Verdict};
use crate::writer::http;
use crate::writer::limit::Limiter;

/// Runs the checks; every line says what passed. A refusal is an error
/// (exit 3) whose message holds the lines so far and the sentence.
pub async fn preflight(
    platform: &dyn Platform,
    endpoint: &Endpoint,
    timeout: Duration,
    pace: Option<&Limiter>,
) -> Result<(Vec<String>, QuotaHint), CliError> {
    let client = http::client_builder()
        .build()
        .map_err(|e| CliError::usage(format!("cannot build the HTTP client: {e}")))?;
    let mut lines = vec![format!(
        "ok    credentials present ({})",
        platform.env_vars().join(", ")
    )];
    let fail = |lines: &[String], message: String| {
        let mut text = lines.join("\n");
        text.push_str(&format!("\nFAIL  {message}"));
        CliError::stopped(text)
    };
    let read = platform.probe_read(endpoint);
    let answer = ask(&client, &read, timeout, pace).await.map_err(|e| {
        fail(
            &lines,
            format!(
                "{} could not be reached at {}: {e}",
                platform.display_name(),
                endpoint.base_url
            ),
        )
    })?;
    let response = Response {
        status: answer.status,
        headers: &answer.headers,
        body: &answer.body,
    };
    match answer.status {
        200..=299 => lines.push(format!(
            "ok    credentials accepted, read access ({} answered {})",
            platform.display_name(),
            answer.status
        )),
        _ => {
            let sentence = match platform.classify_create(&response, &[]) {
                _ if (300..400).contains(&answer.status) => {
                    http::redirect_note(&answer).unwrap_or_default()
                }
                Verdict::Stop { message } => message,
                other => format!("the read check answered {}: {other:?}", answer.status),
            };
            return Err(fail(&lines, sentence));
        }
    }
    let hint = platform.quota_hint(&answer.headers);
    lines.push(match (hint.quota, hint.window, hint.left) {
        (Some(q), Some(w), left) => format!(
            "ok    quota {q} requests / {} s reported by the platform{}",
            w.as_secs_f64(),
            left.map(|l| format!(", {l} left in this window"))
                .unwrap_or_default()
        ),
        (Some(q), None, left) => format!(
            "ok    quota {q} requests per window reported by the platform{}",
            left.map(|l| format!(", {l} left")).unwrap_or_default()
        ),
        _ => format!(
            "info  no quota reported; storeload paces at {} (change with --rate)",
            platform.default_rate()
        ),
    });
    match platform.probe_write(endpoint) {
        None => lines.push("info  write access not verifiable before the first write".into()),
        Some(req) => {
            let answer = ask(&client, &req, timeout, pace)
                .await
                .map_err(|e| fail(&lines, format!("the write-scope check got no answer: {e}")))?;
            if let Some(note) = http::redirect_note(&answer) {
                return Err(fail(&lines, note));
            }
            match answer.status {
                400 | 422 => lines.push(
                    "ok    write access (an empty record was refused as invalid, nothing stored)"
                        .into(),
                ),
                401 | 403 => {
                    let response = Response {
                        status: answer.status,
                        headers: &answer.headers,
                        body: &answer.body,
                    };
                    let sentence = match platform.classify_create(&response, &[]) {
                        Verdict::Stop { message } => message,
                        other => format!("{other:?}"),
                    };
                    return Err(fail(&lines, sentence));
                }
                s => lines.push(format!(
                    "info  write-scope check answered {s}; write access not confirmed"
                )),
            }
        }
    }
    Ok((lines, hint))
}

/// Tries a check request a few times: a 429, a 5xx or a dropped connection
/// says nothing about the credentials, so it is not a verdict.
/// An import's checks wait on its limiter, so they count in its quota share.
async fn ask(
    client: &reqwest::Client,
    request: &Request,
    timeout: Duration,
    pace: Option<&Limiter>,
) -> Result<http::Answer, String> {
    const TRIES: u32 = 5;
    let mut last = String::new();
    for attempt in 0..TRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt - 1))).await;
        }
        if let Some(limiter) = pace {
            limiter.wait().await;
        }
        match http::send(client, request, timeout).await {
            Ok(a) if a.status == 429 || a.status >= 500 => {
                last = format!("it answered {}", a.status)
            }
            Ok(a) => return Ok(a),
            Err(http::SendError::NotSent(e) | http::SendError::MaybeSent(e)) => last = e,
        }
    }
    Err(format!("{last} ({TRIES} tries)"))
}
