//! The pre-flight of a run, and all of `storeload check`: credentials
//! present and accepted, the scopes an import needs where they can be seen,
//! and the quota the platform reports; it stores nothing. An import runs it
//! before it reads its input, so bad credentials fail in a second. Its last
//! line says the pace the run will use and where that pace came from.

use std::time::Duration;

use crate::error::CliError;
use crate::platform::{Endpoint, Platform, QuotaHint, Rate, Request, Response, Verdict};
use crate::writer::http;
use crate::writer::limit::Limiter;

/// What sets a run's pace besides the platform: `--rate` and
/// `--max-quota-share`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// `--rate`: a fixed pace; the platform's headers are not followed.
    pub fixed: Option<Rate>,
    /// `--max-quota-share` (0 < F ≤ 1).
    pub share: f64,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            fixed: None,
            share: 1.0,
        }
    }
}

/// The line saying the pace a run uses and where it came from: `--rate`,
/// the quota the platform reported in its headers, or storeload's default
/// for the platform; times `--max-quota-share` when below 1.
pub fn pace_line(platform: &dyn Platform, pacing: Pacing, reported: &QuotaHint) -> String {
    let pace = super::dry_pass::effective_rate(pacing.fixed, pacing.share, platform, reported);
    let share = if pacing.share < 1.0 {
        format!(" × --max-quota-share {}", pacing.share)
    } else {
        String::new()
    };
    match (pacing.fixed, reported.quota, reported.window) {
        (Some(rate), _, _) => format!(
            "info  pace {pace}: --rate {rate}{share} (the platform's rate-limit headers are not followed)"
        ),
        (None, Some(q), Some(w)) if q > 0 && !w.is_zero() => {
            let quota = Rate {
                requests: q,
                window: w,
            };
            format!(
                "info  pace {pace}: the quota {quota} {} reported in its headers{share}, followed as it changes (change with --rate)",
                platform.display_name()
            )
        }
        (None, Some(q), None) if q > 0 => format!(
            "info  pace {pace}: storeload's default for {}{share}, as its headers give a quota ({q}) but not the window it is per (change with --rate)",
            platform.display_name()
        ),
        _ => format!(
            "info  pace {pace}: storeload's default for {}{share}, as no quota was reported (change with --rate)",
            platform.display_name()
        ),
    }
}

/// Runs the checks; every line says what passed, and the last the pace a
/// run would use with `pacing`. A refusal is an error (exit 3) whose
/// message holds the lines so far and the sentence.
pub async fn preflight(
    platform: &dyn Platform,
    endpoint: &Endpoint,
    timeout: Duration,
    pace: Option<&Limiter>,
    pacing: Pacing,
) -> Result<(Vec<String>, QuotaHint), CliError> {
    let client = http::client_builder()
        .build()
        .map_err(|e| CliError::usage(format!("cannot build the HTTP client: {e}")))?;
    let mut lines = vec![format!(
        "ok    credentials present ({})",
        platform.env_vars().join(", ")
    )];
    let fail = |lines: &[String], message: String| failure(lines, &message);
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
        _ => "info  no quota reported by the platform".to_string(),
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
    lines.push(pace_line(platform, pacing, &hint));
    Ok((lines, hint))
}

/// The error of a failed check: the lines that passed, then `FAIL` and the
/// sentence (in red where stderr takes colour), every line behind the same
/// `storeload: check: ` prefix (the first line's `storeload: ` is the one
/// every error gets when printed; a blank line of the sentence is dropped).
fn failure(passed: &[String], message: &str) -> CliError {
    let fail = crate::term::paint(
        crate::term::Stream::Stderr,
        crate::term::Paint::Fail,
        "FAIL",
    );
    let mut body: Vec<String> = passed.to_vec();
    let mut sentence = message.lines().filter(|l| !l.trim().is_empty());
    body.push(format!(
        "{fail}  {}",
        sentence.next().unwrap_or("the check failed")
    ));
    body.extend(sentence.map(|l| format!("      {l}")));
    let text = body
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("check: {l}")
            } else {
                format!("storeload: check: {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    CliError::stopped(text)
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

#[cfg(test)]
mod tests {
    use super::{Pacing, pace_line};
    use crate::platform::{PlatformId, QuotaHint};
    use std::time::Duration;

    #[test]
    fn the_pace_line_says_which_part_of_the_quota_the_headers_gave() {
        let bitbybit = PlatformId::Bitbybit.platform();
        let hint = |quota, window| QuotaHint {
            quota,
            window,
            left: None,
            reset: None,
        };
        let no_window = pace_line(bitbybit, Pacing::default(), &hint(Some(500), None));
        assert!(
            no_window.contains("give a quota (500) but not the window"),
            "{no_window}"
        );
        let none = pace_line(bitbybit, Pacing::default(), &hint(None, None));
        assert!(none.contains("as no quota was reported"), "{none}");
        let whole = pace_line(
            bitbybit,
            Pacing::default(),
            &hint(Some(500), Some(Duration::from_secs(60))),
        );
        assert!(whole.contains("reported in its headers"), "{whole}");
    }
}
