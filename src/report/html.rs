//! The HTML report: one self-contained page (no external asset, works
//! offline, prints cleanly) for the people who decide whether a migration
//! is ready. In reading order: the verdict with the counts and what an
//! import would send; the problems of the whole file; for orders, how each
//! order names its customer; every input column's fate; a chart of the
//! findings by rule (sorted by count, with a legend); then the findings
//! grouped by rule, largest group first, each with a plain title, its
//! severity, its count, the message once and up to 20 example rows in the
//! input's own columns with the offending cell marked.
//!
//! A small inline script filters the groups by severity and rule and
//! searches the example rows; the filter is kept in the URL fragment
//! (`report.html#rule=email.invalid&severity=violation&q=ann`) so a link
//! opens the page filtered. Without the script every group shows.
//!
//! The page shows the facts of the JSON report's `summary` and `context`
//! and nothing else (see `json.rs`); every value from the input is escaped.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::groups::Example;
use super::output::ReportFile;
use super::{Context, RuleCount, Summary};
use crate::error::CliError;
use crate::findings::Severity;

/// An HTML report waiting for the summary to be written.
pub struct HtmlReport {
    path: PathBuf,
    /// Where the page goes; opened at once so a bad path fails before any work.
    out: ReportFile,
    context: Context,
    /// The platform's name as people write it ("BigCommerce").
    platform: &'static str,
}

impl HtmlReport {
    /// Checks the file can be created.
    pub fn create(
        path: &Path,
        context: &Context,
        platform: &'static str,
    ) -> Result<Self, CliError> {
        let out = ReportFile::create(path, "the HTML report")?;
        Ok(HtmlReport {
            path: path.to_path_buf(),
            out,
            context: context.clone(),
            platform,
        })
    }

    /// Writes the page.
    pub fn finish(self, summary: &Summary) -> Result<(), CliError> {
        let page = render(&self.context, self.platform, summary);
        let mut out = self.out;
        out.write_all(page.as_bytes())
            .and_then(|_| out.commit())
            .map_err(|e| {
                CliError::usage(format!(
                    "{}: cannot write the HTML report: {e}",
                    self.path.display()
                ))
            })
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's styles: screen, then print.
const STYLE: &str = r#"
:root{--bad:#b42318;--warn:#9a6700;--ok:#1a7f37;--line:#d0d7de;--muted:#57606a}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:72em;padding:1.5em;color:#1f2328}
h1{font-size:1.35em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.8em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
h3{font-size:1em;margin:0}
code{font-size:.9em;background:#f6f8fa;padding:0 .25em;border-radius:3px}
.meta{color:var(--muted);margin:0}
.verdict{border:2px solid var(--line);border-left-width:10px;border-radius:6px;padding:1em 1.2em;margin:1.2em 0}
.verdict.ready{border-color:var(--ok)}.verdict.ready_with_warnings{border-color:var(--warn)}.verdict.not_ready{border-color:var(--bad)}
.verdict-word{font-size:1.6em;font-weight:700;margin:0}
.ready .verdict-word{color:var(--ok)}.ready_with_warnings .verdict-word{color:var(--warn)}.not_ready .verdict-word{color:var(--bad)}
.counts{display:flex;flex-wrap:wrap;gap:.5em 2em;margin:.8em 0;padding:0;list-style:none}
.counts li{display:flex;flex-direction:column}.counts b{font-size:1.4em}.counts span{color:var(--muted);font-size:.85em}
.file-problems li{margin:.4em 0}
.file-problem{border-left:4px solid var(--bad);padding:.3em .7em;background:#fff5f5;list-style:none}
.file-problem.spreadsheet{border-color:var(--warn);background:#fff8e6}
.file-problems ul{padding:0}
table{border-collapse:collapse}
td,th{border:1px solid var(--line);padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
.fate-not_sent td:nth-child(2),.fate-unknown td:nth-child(2){color:var(--bad)}
.fate-left_out td:nth-child(2){color:var(--muted)}
.legend{display:flex;gap:1.5em;margin:.3em 0;font-size:.9em}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;vertical-align:-.1em;margin-right:.35em}
.swatch.violation,.badge.violation{background:var(--bad)}.swatch.warning,.badge.warning{background:var(--warn)}
.filters{display:flex;flex-wrap:wrap;gap:.6em 1.2em;align-items:center;background:#f6f8fa;padding:.6em .8em;border-radius:6px;position:sticky;top:0;z-index:1}
.filters input{min-width:16em}
.group{border:1px solid var(--line);border-radius:6px;padding:.8em 1em;margin:1em 0}
.group-head{display:flex;gap:.7em;align-items:baseline;flex-wrap:wrap}
.badge{color:#fff;border-radius:10px;padding:0 .6em;font-size:.8em;font-weight:600}
.count{margin-left:auto;font-weight:600}
.rule-line{color:var(--muted);margin:.3em 0;font-size:.9em}
.message{margin:.4em 0}
.scroll{overflow-x:auto}
.examples{font-size:.85em}
.examples td{max-width:18em;overflow-wrap:anywhere;white-space:pre-wrap}
.examples th.marked{background:#ffe2e0}
.examples td.bad{background:#ffebe9;outline:2px solid var(--bad);outline-offset:-2px;font-weight:600}
.group.warning td.bad{background:#fff8c5;outline-color:var(--warn)}
.examples tbody.example{border-top:2px solid #8c959f}
.examples td.line{color:var(--muted)}
.more{color:var(--muted);font-size:.9em}
[hidden]{display:none!important}
@media print{
 body{max-width:none;padding:0;font-size:10pt}
 .filters,#shown-note{display:none}
 .group,.verdict,.file-problem{break-inside:avoid}
 .scroll{overflow:visible}
 .examples{font-size:7.5pt}
 a{color:inherit;text-decoration:none}
 .verdict,.file-problem,td.bad,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"#;

/// The filter and search script: reads the initial filter from the URL
/// fragment and writes it back there.
const SCRIPT: &str = r#"
(function(){
 var groups=[].slice.call(document.querySelectorAll('.group'));
 var sev=document.getElementById('f-severity'),rule=document.getElementById('f-rule'),q=document.getElementById('f-search'),note=document.getElementById('shown-note');
 if(!sev||!rule||!q){return;}
 function read(){var st={};location.hash.replace(/^#/,'').split('&').forEach(function(p){var i=p.indexOf('=');if(i>0){try{st[decodeURIComponent(p.slice(0,i))]=decodeURIComponent(p.slice(i+1).replace(/\+/g,' '));}catch(e){}}});return st;}
 function pick(select,value){select.value=value||'';if(select.value!==(value||'')){select.value='';}}
 function apply(){
  var s=sev.value,r=rule.value,t=q.value.trim().toLowerCase(),shown=0;
  groups.forEach(function(g){
   var ok=(!s||g.getAttribute('data-severity')===s)&&(!r||g.getAttribute('data-rule')===r);
   var any=!t;
   [].forEach.call(g.querySelectorAll('tbody.example'),function(b){var m=!t||b.textContent.toLowerCase().indexOf(t)>=0;b.hidden=!m;if(m){any=true;}});
   g.hidden=!(ok&&any);
   if(!g.hidden){shown++;}
  });
  note.textContent=(s||r||t)?(shown+' of '+groups.length+' rules shown (filtered)'):(groups.length+' rules');
  document.documentElement.setAttribute('data-filter',[s,r,t].join('|'));
 }
 function fromHash(){var st=read();pick(sev,st.severity);pick(rule,st.rule);q.value=st.q||'';apply();}
 function toHash(){
  var parts=[];
  if(sev.value){parts.push('severity='+encodeURIComponent(sev.value));}
  if(rule.value){parts.push('rule='+encodeURIComponent(rule.value));}
  if(q.value){parts.push('q='+encodeURIComponent(q.value));}
  try{history.replaceState(null,'',parts.length?'#'+parts.join('&'):location.pathname+location.search);}catch(e){}
  apply();
 }
 sev.addEventListener('change',toHash);rule.addEventListener('change',toHash);q.addEventListener('input',toHash);
 window.addEventListener('hashchange',fromHash);
 fromHash();
 document.documentElement.setAttribute('data-script','ran');
})();
"#;

/// The whole page.
fn render(ctx: &Context, platform: &str, s: &Summary) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>storeload report: {}</title>\n<style>{STYLE}</style></head><body>\n",
        escape(&ctx.input)
    );
    let _ = write!(
        h,
        "<header><h1>Dry-run report: {} → {}</h1>\n<p class=\"meta\">{} {} checked for {} with {}. Nothing was sent.</p></header>\n",
        escape(&ctx.input),
        escape(platform),
        escape(ctx.entity),
        escape(&format!("{:?}", ctx.format).to_uppercase()),
        escape(platform),
        escape(&ctx.mapping)
    );
    h.push_str(&verdict(ctx, platform, s));
    h.push_str(&file_problems(s));
    h.push_str(&links(ctx, s));
    h.push_str(&columns_table(ctx, platform, s));
    h.push_str("<section id=\"chart\"><h2>Findings at a glance</h2>\n");
    h.push_str(&chart(s));
    h.push_str("</section>\n");
    h.push_str(&findings(ctx, s));
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body></html>\n");
    h
}

/// `n` and the noun, plural unless one.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A duration in seconds as people say it: "about 40 s", "about 3 min".
fn duration(seconds: u64) -> String {
    match seconds {
        0 => "no time".into(),
        s if s < 90 => format!("about {s} s"),
        s if s < 90 * 60 => format!("about {} min", s.div_ceil(60)),
        s => {
            let minutes = s.div_ceil(60);
            format!("about {} h {} min", minutes / 60, minutes % 60)
        }
    }
}

/// The record noun: customer or order.
fn noun(ctx: &Context) -> &'static str {
    if ctx.entity == "orders" {
        "order"
    } else {
        "customer"
    }
}

/// Ready, ready with warnings or not ready; the counts; what an import
/// would send and how long that takes.
fn verdict(ctx: &Context, platform: &str, s: &Summary) -> String {
    let noun = noun(ctx);
    let (word, sentence) = match s.verdict {
        "not_ready" => (
            "Not ready",
            format!(
                "{} of {} {} invalid and would not be sent: fix {} and validate again.{}",
                s.invalid,
                count(s.records, noun),
                if s.invalid == 1 { "is" } else { "are" },
                if s.invalid == 1 { "it" } else { "them" },
                if s.file_problems.is_empty() {
                    String::new()
                } else {
                    " Start with the problems of the whole file below.".into()
                }
            ),
        ),
        "ready_with_warnings" => (
            "Ready with warnings",
            format!(
                "Every {noun} is valid; {} sent with the changes warned about below.",
                if s.with_warnings == 1 {
                    "1 is".to_string()
                } else {
                    format!("{} are", s.with_warnings)
                }
            ),
        ),
        _ if s.records == 0 => (
            "Ready",
            format!("The file holds no {noun}s: there is nothing to send."),
        ),
        _ => ("Ready", format!("Every {noun} is valid.")),
    };
    let mut h = format!(
        "<section id=\"verdict\" class=\"verdict {v}\" data-verdict=\"{v}\">\n<p class=\"verdict-word\">{word}</p>\n<p class=\"verdict-text\">{}</p>\n<ul class=\"counts\">",
        escape(&sentence),
        v = s.verdict
    );
    let mut stat = |n: u64, label: &str, id: &str| {
        let _ = write!(
            h,
            "<li id=\"count-{id}\"><b>{n}</b><span>{}</span></li>",
            escape(label)
        );
    };
    stat(s.rows_read, "rows read", "rows");
    if ctx.entity == "orders" || s.records != s.rows_read {
        stat(s.records, &format!("{noun}s"), "records");
    }
    stat(s.valid, "valid", "valid");
    stat(s.invalid, "invalid", "invalid");
    stat(s.with_warnings, "valid with warnings", "warnings");
    let w = &s.would_send;
    let _ = write!(
        h,
        "</ul>\n<p id=\"would-send\">An import would send <b>{}</b> in <b>{}</b> ({} per request): {} at {}'s quota of {} requests.</p>\n</section>\n",
        count(w.records, noun),
        count(w.requests, "request"),
        w.batch_size,
        duration(w.seconds),
        escape(platform),
        escape(&w.rate)
    );
    h
}

/// Problems of the whole file, before any row.
fn file_problems(s: &Summary) -> String {
    let mut h = String::from(
        "<section id=\"file-problems\" class=\"file-problems\"><h2>Problems of the whole file</h2>\n",
    );
    if s.file_problems.is_empty() {
        h.push_str(
            "<p>None: no rule points at a column or the mapping as a whole.</p>\n</section>\n",
        );
        return h;
    }
    h.push_str("<ul>\n");
    for p in &s.file_problems {
        let _ = writeln!(
            h,
            "<li class=\"file-problem {kind}\" data-kind=\"{kind}\" data-rule=\"{rule}\">{}</li>",
            escape(&p.message),
            kind = p.kind,
            rule = escape(p.rule)
        );
    }
    h.push_str("</ul>\n</section>\n");
    h
}

/// Orders: how the valid orders name their customer, and how many orders
/// name a customer the customers journal refused.
fn links(ctx: &Context, s: &Summary) -> String {
    if ctx.entity != "orders" {
        return String::new();
    }
    let by = |k: &str| s.customer_links.get(k).copied().unwrap_or(0);
    let refused = s
        .by_rule
        .get("customer.not_linkable")
        .map_or(0, |r| r.count);
    let mut h = String::from(
        "<section id=\"links\"><h2>How each order names its customer</h2>\n<table><tr><th>link</th><th class=\"num\">orders</th></tr>\n",
    );
    for (id, label, n) in [
        (
            "customerId",
            "linked by id (customerId column)",
            by("customerId"),
        ),
        ("journal", "linked by the customers journal", by("journal")),
        (
            "inline",
            "inline customer (found or created by the platform)",
            by("inline"),
        ),
        (
            "refused",
            "refused: its customer was rejected, failed or is in doubt in the journal",
            refused,
        ),
    ] {
        let _ = writeln!(
            h,
            "<tr data-link=\"{id}\"><td>{}</td><td class=\"num\">{n}</td></tr>",
            escape(label)
        );
    }
    h.push_str("</table>\n</section>\n");
    h
}

/// Every input column's fate, once: the fields it fills, whether the
/// platform is sent them, and why not. A column with no name is named by
/// its position, with how many rows hold a value in it.
fn columns_table(ctx: &Context, platform: &str, s: &Summary) -> String {
    if ctx.columns.is_empty() {
        return String::new();
    }
    let mut h = String::from("<section id=\"mapping\"><h2>Columns</h2>\n");
    let n = |fate: &str| ctx.columns.iter().filter(|c| c.fate == fate).count();
    let _ = writeln!(
        h,
        "<p>{} columns: {} sent to {} · {} mapped but not sent · {} left out on purpose · {} unknown (not read). Mapping: {}.</p>",
        ctx.columns.len(),
        n("sent"),
        escape(platform),
        n("not_sent"),
        n("left_out"),
        n("unknown"),
        escape(&ctx.mapping)
    );
    h.push_str(
        "<div class=\"scroll\"><table class=\"columns\"><tr><th>column</th><th>fate</th><th>fields</th><th>why</th></tr>\n",
    );
    for c in &ctx.columns {
        let fate = match c.fate {
            "sent" if c.not_sent.is_empty() => "sent".to_string(),
            "sent" => format!("partly sent (not sent: {})", c.not_sent.join(", ")),
            "not_sent" => format!("NOT SENT TO {}", ctx.platform.to_uppercase()),
            "left_out" => "left out on purpose".to_string(),
            _ => "unknown (not read, not sent)".to_string(),
        };
        let fields = if c.auto_mapped {
            format!("{} (auto-mapped by its name)", c.fields.join(", "))
        } else {
            c.fields.join(", ")
        };
        let (name, why) = if c.is_unnamed() {
            let filled = match s.unnamed_values.get(&c.position) {
                None => "every row leaves it empty".to_string(),
                Some(1) => "1 row holds a value in it, not sent".to_string(),
                Some(n) => format!("{n} rows hold a value in it, not sent"),
            };
            (
                c.label(),
                format!("{filled}; {}", c.reason.as_deref().unwrap_or("")),
            )
        } else {
            (c.column.clone(), c.reason.clone().unwrap_or_default())
        };
        let _ = writeln!(
            h,
            "<tr class=\"fate-{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.fate,
            escape(&name),
            escape(&fate),
            escape(&fields),
            escape(&why)
        );
    }
    h.push_str("</table></div>\n</section>\n");
    h
}

/// The rules, largest group first; violations before warnings on a tie.
fn by_count(s: &Summary) -> Vec<(&'static str, &RuleCount)> {
    let mut rules: Vec<(&'static str, &RuleCount)> =
        s.by_rule.iter().map(|(k, r)| (*k, r)).collect();
    rules.sort_by(|a, b| {
        b.1.count
            .cmp(&a.1.count)
            .then(a.1.severity.cmp(&b.1.severity))
            .then(a.0.cmp(b.0))
    });
    rules
}

/// `s` cut to `n` characters, ending in `…` when cut.
fn shorten(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// The severity's name.
fn sev(s: Severity) -> &'static str {
    match s {
        Severity::Violation => "violation",
        Severity::Warning => "warning",
    }
}

/// A horizontal bar per rule, largest first, scaled to the largest count,
/// as inline SVG, with a legend; a bar links to its rule's group.
fn chart(s: &Summary) -> String {
    if s.by_rule.is_empty() {
        return "<p>No findings: every record is valid.</p>\n".into();
    }
    let rules = by_count(s);
    let bar_h = 24;
    let label_w = 400;
    let bar_w = 380;
    let height = bar_h * rules.len() + 10;
    let max = rules.iter().map(|(_, r)| r.count).max().unwrap_or(1).max(1);
    let mut svg = String::from(
        "<p class=\"legend\"><span><span class=\"swatch violation\"></span>violation: the record is not sent</span><span><span class=\"swatch warning\"></span>warning: sent, changed as the warning says</span></p>\n",
    );
    let _ = writeln!(
        svg,
        "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"findings by rule, largest first\" font-family=\"system-ui,sans-serif\">",
        label_w + bar_w + 80
    );
    for (i, (rule, r)) in rules.iter().enumerate() {
        let y = i * bar_h + 5;
        let w = ((r.count as f64 / max as f64) * bar_w as f64)
            .round()
            .max(1.0) as usize;
        let color = match r.severity {
            Severity::Violation => "#b42318",
            Severity::Warning => "#bf8700",
        };
        let _ = writeln!(
            svg,
            "<a href=\"#rule={}\" class=\"bar\" data-rule=\"{}\"><text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{color}\"><title>{} ({}): {} {}</title></rect><text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text></a>",
            escape(rule),
            escape(rule),
            label_w - 8,
            y + 16,
            escape(&shorten(&r.title, 52)),
            y + 3,
            bar_h - 8,
            escape(&r.title),
            escape(rule),
            r.count,
            sev(r.severity),
            label_w + w + 6,
            y + 16,
            r.count
        );
    }
    svg.push_str("</svg></div>\n");
    svg
}

/// The groups with the filter bar: violations (what keeps records from
/// being sent) before warnings, each largest first, so that hundreds of
/// warnings never bury a few real problems.
fn findings(ctx: &Context, s: &Summary) -> String {
    let mut rules = by_count(s);
    rules.sort_by_key(|(_, r)| r.severity);
    let mut h = String::from(
        "<section id=\"findings\"><h2>Findings by rule</h2>\n<p>Violations first, then warnings; each largest first.</p>\n",
    );
    if rules.is_empty() {
        h.push_str("<p>Nothing to fix.</p>\n</section>\n");
        return h;
    }
    h.push_str("<div class=\"filters\"><label>Severity <select id=\"f-severity\"><option value=\"\">all</option><option value=\"violation\">violations</option><option value=\"warning\">warnings</option></select></label>");
    h.push_str("<label>Rule <select id=\"f-rule\"><option value=\"\">all</option>");
    for (rule, r) in &rules {
        let _ = write!(
            h,
            "<option value=\"{}\">{} ({})</option>",
            escape(rule),
            escape(&r.title),
            r.count
        );
    }
    h.push_str("</select></label><label>Search rows <input id=\"f-search\" type=\"search\" placeholder=\"a value, a name, a line\"></label><span id=\"shown-note\"></span></div>\n");
    let noun = noun(ctx);
    for (rule, r) in &rules {
        h.push_str(&group(ctx, noun, rule, r));
    }
    h.push_str("</section>\n");
    h
}

/// One rule's group: title, severity, count, the message once, examples.
fn group(ctx: &Context, noun: &str, rule: &str, r: &RuleCount) -> String {
    let sv = sev(r.severity);
    let mut h = format!(
        "<section class=\"group {sv}\" id=\"rule-{}\" data-rule=\"{}\" data-severity=\"{sv}\" data-count=\"{}\">\n<div class=\"group-head\"><span class=\"badge {sv}\">{sv}</span><h3>{}</h3><span class=\"count\">{}</span></div>\n<p class=\"rule-line\"><code>{}</code> · field: {}</p>\n<p class=\"message\">{}{}</p>\n",
        escape(rule),
        escape(rule),
        r.count,
        escape(&r.title),
        count(r.count, noun),
        escape(rule),
        escape(&r.field),
        if r.examples.len() > 1 {
            "For example: "
        } else {
            ""
        },
        escape(&r.message)
    );
    if r.examples.is_empty() {
        let why = if rule == "name.split" || rule.ends_with(".name.split") {
            "None in doubt: every split is a plain first and last name. The JSON report lists each."
        } else {
            "No example rows kept."
        };
        let _ = writeln!(h, "<p class=\"more\">{why}</p>");
        h.push_str("</section>\n");
        return h;
    }
    h.push_str("<div class=\"scroll\"><table class=\"examples\"><thead><tr><th>line</th>");
    let marked: Vec<&str> = r.columns.iter().map(String::as_str).collect();
    for (i, c) in ctx.header.iter().enumerate() {
        let class = if marked.contains(&c.as_str()) {
            " class=\"marked\""
        } else {
            ""
        };
        let shown = if crate::mapping::is_unnamed(c) {
            format!("column {} (no name)", i + 1)
        } else {
            c.clone()
        };
        let _ = write!(h, "<th{class}>{}</th>", escape(&shown));
    }
    h.push_str("</tr></thead>\n");
    for e in &r.examples {
        h.push_str(&example(ctx, e));
    }
    h.push_str("</table></div>\n");
    if r.count > r.examples.len() as u64 {
        let _ = writeln!(
            h,
            "<p class=\"more\">{} of {} shown; the JSON report lists every one, the rejects file holds every invalid row.</p>",
            r.examples.len(),
            r.count
        );
    }
    h.push_str("</section>\n");
    h
}

/// One example: the record's rows, the offending cells marked in the row
/// the finding is on (the whole row when no column holds the value).
fn example(ctx: &Context, e: &Example) -> String {
    let mut h = format!(
        "<tbody class=\"example\" data-record=\"{}\" data-line=\"{}\">",
        e.record, e.line
    );
    let on = e
        .rows
        .iter()
        .position(|r| r.line == e.line)
        .unwrap_or_default();
    for (i, row) in e.rows.iter().enumerate() {
        let _ = write!(h, "<tr><td class=\"line num\">{}</td>", row.line);
        for (j, cell) in row.cells.iter().enumerate() {
            let name = ctx.header.get(j).map(String::as_str).unwrap_or("");
            let bad = i == on && (e.columns.is_empty() || e.columns.iter().any(|c| c == name));
            if bad && !e.columns.is_empty() {
                let _ = write!(
                    h,
                    "<td class=\"bad\" title=\"{}\">{}</td>",
                    escape(&e.text),
                    escape(cell)
                );
            } else {
                let _ = write!(h, "<td>{}</td>", escape(cell));
            }
        }
        h.push_str("</tr>");
    }
    // A finding no column holds (a missing column, the whole row): its
    // sentence under the row.
    if e.columns.is_empty() {
        let _ = write!(
            h,
            "<tr><td></td><td class=\"bad\" colspan=\"{}\">{}</td></tr>",
            ctx.header.len().max(1),
            escape(&e.text)
        );
    }
    h.push_str("</tbody>\n");
    h
}
