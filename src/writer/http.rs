//! Sends one built request with a timeout and a capped body, and says
//! whether a failure happened before the request could have reached the
//! server (safe to retry) or after (the request may have been applied).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::platform::Request;

/// Largest response body read; the rest is dropped (bounded memory).
pub const BODY_CAP: usize = 1 << 20;

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body, at most `BODY_CAP` bytes.
    pub body: Vec<u8>,
}

/// A request that got no HTTP answer.
#[derive(Debug)]
pub enum SendError {
    /// The connection could not be made: the server saw nothing.
    NotSent(String),
    /// Timeout, reset or a broken body after the request went out: the
    /// server may have applied it.
    MaybeSent(String),
}

/// The HTTP client settings every platform request uses: storeload's user
/// agent, and no redirect followed (DECISIONS.md "Hostile paths"): a 3xx
/// is an answer naming where it points, never a second request that would
/// carry the credentials and the customers' data to another origin.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("storeload/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
}

/// When `answer` is a redirect, a sentence naming its status and where it
/// points; storeload follows none.
pub fn redirect_note(answer: &Answer) -> Option<String> {
    if !(300..400).contains(&answer.status) {
        return None;
    }
    let location = answer
        .headers
        .get(reqwest::header::LOCATION)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(300)
                .collect::<String>()
        })
        .unwrap_or_else(|| "nowhere (no Location header)".into());
    Some(format!(
        "the platform answered {} redirecting to {location}; storeload follows no redirect (it would carry the credentials there): check --base-url",
        answer.status
    ))
}

/// Sends `request` and reads its answer.
pub async fn send(
    client: &reqwest::Client,
    request: &Request,
    timeout: Duration,
) -> Result<Answer, SendError> {
    let mut headers = HeaderMap::new();
    for (k, v) in &request.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
            headers.insert(k, v);
        }
    }
    let mut builder = client
        .request(request.method.clone(), &request.url)
        .headers(headers)
        .timeout(timeout);
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    let mut response = builder.send().await.map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_CAP.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(SendError::MaybeSent(format!(
                    "the answer broke off after status {status}: {}",
                    short(&e)
                )));
            }
        }
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn describe(e: &reqwest::Error) -> SendError {
    if e.is_connect() {
        SendError::NotSent(format!("could not connect: {}", short(e)))
    } else if e.is_timeout() {
        SendError::MaybeSent("no answer before the timeout".into())
    } else {
        SendError::MaybeSent(format!("connection lost: {}", short(e)))
    }
}

/// The error and its causes on one line. URLs carry no secret (tokens
/// travel in headers only).
fn short(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
