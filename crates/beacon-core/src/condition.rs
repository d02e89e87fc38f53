//! Conditions: small expressions a check's result must satisfy, in the notation Gatus made popular —
//! `[STATUS] == 200`, `[BODY].data.items[0].state == ok`, `[RESPONSE_TIME] < 300`,
//! `[CERTIFICATE_EXPIRATION] > 72h`, `[DNS_RCODE] == NOERROR`, `[STATUS] == any(200, 204)`,
//! `[BODY].version == pat(2.*)`, `len([BODY].items) > 0`.
//!
//! A condition is one comparison: a left operand (a placeholder, optionally with a JSON path for `[BODY]`, or
//! `len(...)` of one, or a literal), an operator (`==`, `!=`, `<`, `<=`, `>`, `>=`), and a right operand, which
//! may also be `any(v, ...)` (equal to one of them) or `pat(glob)` (`*` any run, `?` one character) after `==` or
//! `!=`. Literals are numbers, durations (`300ms`, `30s`, `5m`, `72h`, `14d`: compared in milliseconds, as
//! `[RESPONSE_TIME]` and `[CERTIFICATE_EXPIRATION]` are), bare words (`UP`, `NOERROR`) and quoted strings.
//! Parsing and printing round-trip (`Display` is the canonical form); evaluation is pure, against an
//! `Observed` the prober fills in, and reports the observed values (`[STATUS] (503) == 200`).

use serde_json::Value;
use std::fmt;

/// What a check measures that a condition can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// The HTTP status code.
    Status,
    /// The response body (HTTP), the bytes read back (TCP), or the answers one per line (DNS); `.path` reads
    /// into a JSON body.
    Body,
    /// Milliseconds the check took.
    ResponseTime,
    /// Milliseconds until the leaf certificate expires (negative once expired).
    CertificateExpiration,
    /// The DNS answer's response code: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...
    DnsRcode,
    /// Whether a connection was made.
    Connected,
    /// The address connected to, or the first address a DNS query answered.
    Ip,
}

impl Placeholder {
    pub const ALL: [Placeholder; 7] = [
        Placeholder::Status,
        Placeholder::Body,
        Placeholder::ResponseTime,
        Placeholder::CertificateExpiration,
        Placeholder::DnsRcode,
        Placeholder::Connected,
        Placeholder::Ip,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::Status => "STATUS",
            Placeholder::Body => "BODY",
            Placeholder::ResponseTime => "RESPONSE_TIME",
            Placeholder::CertificateExpiration => "CERTIFICATE_EXPIRATION",
            Placeholder::DnsRcode => "DNS_RCODE",
            Placeholder::Connected => "CONNECTED",
            Placeholder::Ip => "IP",
        }
    }

    /// Whether its values are durations in milliseconds (shown as spans).
    fn is_duration(self) -> bool {
        matches!(
            self,
            Placeholder::ResponseTime | Placeholder::CertificateExpiration
        )
    }
}

/// One step of a path into a JSON body: `.key` or `[index]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A literal value. Numbers are equal when their bits are (so `Eq` holds: a parsed number is never NaN).
#[derive(Debug, Clone)]
pub enum Literal {
    Number(f64),
    /// A span as written (`72h` stays `72h`); compared in milliseconds (`Literal::millis`).
    Duration {
        amount: i64,
        unit: &'static str,
    },
    Text(String),
}

impl PartialEq for Literal {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Literal::Number(a), Literal::Number(b)) => a.to_bits() == b.to_bits(),
            (
                Literal::Duration { amount, unit },
                Literal::Duration {
                    amount: a2,
                    unit: u2,
                },
            ) => amount == a2 && unit == u2,
            (Literal::Text(a), Literal::Text(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Literal {}

impl Literal {
    /// A duration's milliseconds.
    pub fn millis(&self) -> Option<i64> {
        match self {
            Literal::Duration { amount, unit } => UNITS
                .iter()
                .find(|(u, _)| u == unit)
                .map(|(_, size)| amount.saturating_mul(*size)),
            _ => None,
        }
    }
}

/// A value a comparison reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A placeholder, with a path into the body for `[BODY]`.
    Value(Placeholder, Vec<Step>),
    /// The length of a placeholder's value: a JSON array's or object's entries, a string's characters.
    Len(Placeholder, Vec<Step>),
    Literal(Literal),
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rhs {
    Operand(Operand),
    /// Equal to any of these.
    Any(Vec<Literal>),
    /// Matches this glob.
    Pat(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// One condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub left: Operand,
    pub op: Op,
    pub right: Rhs,
}

/// Why a condition did not parse, and where (a character position from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {position}: {message}")]
pub struct ParseError {
    pub position: usize,
    pub message: String,
}

/// The most conditions a check may have, and the longest one.
pub const MAX_CONDITIONS: usize = 20;
pub const MAX_CONDITION_LEN: usize = 500;

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, ParseError> {
        if text.chars().count() > MAX_CONDITION_LEN {
            return Err(ParseError {
                position: MAX_CONDITION_LEN + 1,
                message: format!("longer than {MAX_CONDITION_LEN} characters"),
            });
        }
        let mut p = Parser {
            chars: text.chars().collect(),
            at: 0,
        };
        let c = p.condition()?;
        p.skip_space();
        if p.at < p.chars.len() {
            return Err(p.error("unexpected text after the condition"));
        }
        Ok(c)
    }

    /// The placeholders it reads.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let mut out = Vec::new();
        for o in [Some(&self.left), self.right_operand()]
            .into_iter()
            .flatten()
        {
            if let Operand::Value(p, _) | Operand::Len(p, _) = o {
                out.push(*p);
            }
        }
        out
    }

    fn right_operand(&self) -> Option<&Operand> {
        match &self.right {
            Rhs::Operand(o) => Some(o),
            _ => None,
        }
    }

    /// Evaluate against what a check observed.
    pub fn evaluate(&self, obs: &Observed<'_>) -> Outcome {
        let left = obs.read(&self.left);
        let (ok, right) = match &self.right {
            Rhs::Operand(o) => {
                let right = obs.read(o);
                (compare(&left, self.op, &right), Some(right))
            }
            // A missing value matches nothing, and is not "not equal" either.
            Rhs::Any(_) | Rhs::Pat(_) if left == Val::Missing => (false, None),
            Rhs::Any(options) => {
                let hit = options
                    .iter()
                    .any(|l| compare(&left, Op::Eq, &Val::from_literal(l)));
                (hit != (self.op == Op::Ne), None)
            }
            Rhs::Pat(glob) => {
                let hit = left.text().is_some_and(|t| glob_match(glob, &t));
                (hit != (self.op == Op::Ne), None)
            }
        };
        let mut shown = format!("{}", self.left);
        if !matches!(self.left, Operand::Literal(_)) {
            shown.push_str(&format!(" ({})", left.show(placeholder_of(&self.left))));
        }
        shown.push_str(&format!(" {} {}", self.op.as_str(), self.right));
        if let (Some(right), Some(o)) = (right, self.right_operand())
            && !matches!(o, Operand::Literal(_))
        {
            shown.push_str(&format!(" ({})", right.show(placeholder_of(o))));
        }
        Outcome { ok, shown }
    }
}

fn placeholder_of(o: &Operand) -> Option<Placeholder> {
    match o {
        Operand::Value(p, path) if path.is_empty() => Some(*p),
        _ => None,
    }
}

/// One condition's result: whether it held, and the condition with the observed values
/// (`[STATUS] (503) == 200`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    pub shown: String,
}

/// Parse each condition, naming the first that does not parse (`conditions[i]`).
pub fn parse_all(texts: &[String]) -> Result<Vec<Condition>, crate::ValidationError> {
    if texts.len() > MAX_CONDITIONS {
        return Err(crate::ValidationError::new(
            "conditions",
            format!("at most {MAX_CONDITIONS} conditions"),
        ));
    }
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Condition::parse(t).map_err(|e| {
                crate::ValidationError::new("conditions", format!("condition {} {t:?}: {e}", i + 1))
            })
        })
        .collect()
}

/// What a check observed, for conditions to read. `json` is the body parsed once (see `Observed::new`).
#[derive(Debug, Clone, Default)]
pub struct Observed<'a> {
    pub status: Option<u16>,
    pub body: Option<&'a str>,
    pub json: Option<Value>,
    pub response_time_ms: Option<f64>,
    pub certificate_expires_in_ms: Option<i64>,
    pub dns_rcode: Option<&'a str>,
    pub connected: Option<bool>,
    pub ip: Option<String>,
}

impl<'a> Observed<'a> {
    /// With the body given, parsed as JSON when it is JSON (only when some condition reads into it).
    pub fn with_body(mut self, body: &'a str, parse_json: bool) -> Self {
        self.body = Some(body);
        if parse_json {
            self.json = serde_json::from_str(body).ok();
        }
        self
    }

    fn read(&self, o: &Operand) -> Val {
        match o {
            Operand::Literal(l) => Val::from_literal(l),
            Operand::Value(p, path) => self.value(*p, path),
            Operand::Len(p, path) => match (p, path.is_empty()) {
                (Placeholder::Body, false) => match self.json_at(path) {
                    Some(Value::Array(a)) => Val::Num(a.len() as f64),
                    Some(Value::Object(o)) => Val::Num(o.len() as f64),
                    Some(Value::String(s)) => Val::Num(s.chars().count() as f64),
                    Some(_) | None => Val::Missing,
                },
                _ => match self.value(*p, path).text() {
                    Some(t) => Val::Num(t.chars().count() as f64),
                    None => Val::Missing,
                },
            },
        }
    }

    fn json_at(&self, path: &[Step]) -> Option<&Value> {
        let mut at = self.json.as_ref()?;
        for step in path {
            at = match step {
                Step::Key(k) => at.get(k.as_str())?,
                Step::Index(i) => at.get(*i)?,
            };
        }
        Some(at)
    }

    fn value(&self, p: Placeholder, path: &[Step]) -> Val {
        match p {
            Placeholder::Status => self.status.map_or(Val::Missing, |s| Val::Num(f64::from(s))),
            Placeholder::Body if path.is_empty() => {
                self.body.map_or(Val::Missing, |b| Val::Text(b.to_owned()))
            }
            Placeholder::Body => match self.json_at(path) {
                Some(Value::Number(n)) => n.as_f64().map_or(Val::Missing, Val::Num),
                Some(Value::String(s)) => Val::Text(s.clone()),
                Some(Value::Bool(b)) => Val::Bool(*b),
                Some(Value::Null) | None => Val::Missing,
                Some(other) => Val::Text(other.to_string()),
            },
            Placeholder::ResponseTime => self.response_time_ms.map_or(Val::Missing, Val::Num),
            Placeholder::CertificateExpiration => self
                .certificate_expires_in_ms
                .map_or(Val::Missing, |ms| Val::Num(ms as f64)),
            Placeholder::DnsRcode => self
                .dns_rcode
                .map_or(Val::Missing, |r| Val::Text(r.to_owned())),
            Placeholder::Connected => self.connected.map_or(Val::Missing, Val::Bool),
            Placeholder::Ip => self.ip.clone().map_or(Val::Missing, Val::Text),
        }
    }
}

/// A value being compared.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Missing,
    Num(f64),
    Text(String),
    Bool(bool),
}

impl Val {
    fn from_literal(l: &Literal) -> Val {
        match l {
            Literal::Number(n) => Val::Num(*n),
            Literal::Duration { .. } => Val::Num(l.millis().unwrap_or(0) as f64),
            Literal::Text(t) => Val::Text(t.clone()),
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Text(t) => t.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            Val::Missing | Val::Bool(_) => None,
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Val::Missing => None,
            Val::Num(n) => Some(number_text(*n)),
            Val::Text(t) => Some(t.clone()),
            Val::Bool(b) => Some(b.to_string()),
        }
    }

    /// As shown after a placeholder: durations as spans, long text cut.
    fn show(&self, p: Option<Placeholder>) -> String {
        match self {
            Val::Missing => "missing".to_owned(),
            Val::Num(n) if p.is_some_and(Placeholder::is_duration) => {
                if p == Some(Placeholder::ResponseTime) {
                    format!("{}ms", number_text((n * 10.0).round() / 10.0))
                } else {
                    span_text(*n as i64)
                }
            }
            Val::Text(t) if t.chars().count() > 60 => {
                format!("{}…", t.chars().take(60).collect::<String>())
            }
            other => other.text().unwrap_or_default(),
        }
    }
}

fn compare(left: &Val, op: Op, right: &Val) -> bool {
    if matches!(left, Val::Missing) || matches!(right, Val::Missing) {
        return false;
    }
    if let (Some(a), Some(b)) = (left.number(), right.number()) {
        return match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        };
    }
    let (Some(a), Some(b)) = (left.text(), right.text()) else {
        return false;
    };
    match op {
        Op::Eq => a == b,
        Op::Ne => a != b,
        // Order is for numbers (and durations) only.
        _ => false,
    }
}

/// `*` matches any run of characters, `?` one.
fn glob_match(glob: &str, text: &str) -> bool {
    let (g, t): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ti));
            gi += 1;
        } else if let Some((sg, st)) = star {
            gi = sg + 1;
            ti = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

const UNITS: [(&str, i64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// A duration for a person: `19d 4h`, `3h 12m`, `45s`, `-2d 1h` once past.
fn span_text(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let (d, h, m, s) = (
        ms / 86_400_000,
        ms / 3_600_000 % 24,
        ms / 60_000 % 60,
        ms / 1000 % 60,
    );
    if d > 0 {
        format!("{sign}{d}d {h}h")
    } else if h > 0 {
        format!("{sign}{h}h {m}m")
    } else if m > 0 {
        format!("{sign}{m}m {s}s")
    } else {
        format!("{sign}{s}s")
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Duration { amount, unit } => write!(f, "{amount}{unit}"),
            Literal::Text(t) if is_bare(t) => f.write_str(t),
            Literal::Text(t) => {
                f.write_str("\"")?;
                for c in t.chars() {
                    if matches!(c, '"' | '\\') {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")
            }
        }
    }
}

/// Whether a word needs no quotes: it starts with a letter or `_`, holds no space, bracket, comma, quote or
/// operator character, and is not a function's name.
fn is_bare(t: &str) -> bool {
    let mut chars = t.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && t.chars().all(bare_char)
        && !matches!(t, "any" | "pat" | "len")
}

fn bare_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | '/' | '*' | '?' | '@' | '+')
}

fn write_path(f: &mut fmt::Formatter<'_>, p: Placeholder, path: &[Step]) -> fmt::Result {
    write!(f, "[{}]", p.as_str())?;
    for step in path {
        match step {
            Step::Key(k) => write!(f, ".{k}")?,
            Step::Index(i) => write!(f, "[{i}]")?,
        }
    }
    Ok(())
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Value(p, path) => write_path(f, *p, path),
            Operand::Len(p, path) => {
                f.write_str("len(")?;
                write_path(f, *p, path)?;
                f.write_str(")")
            }
            Operand::Literal(l) => write!(f, "{l}"),
        }
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::Operand(o) => write!(f, "{o}"),
            Rhs::Any(options) => {
                f.write_str("any(")?;
                for (i, l) in options.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{l}")?;
                }
                f.write_str(")")
            }
            Rhs::Pat(glob) => write!(f, "pat({})", Literal::Text(glob.clone())),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op.as_str(), self.right)
    }
}

/// A recursive-descent parser over characters; positions in errors count characters from 1.
struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            position: self.at + 1,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Result<(), ParseError> {
        self.skip_space();
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(format!("expected {what}")))
        }
    }

    fn condition(&mut self) -> Result<Condition, ParseError> {
        self.skip_space();
        if self.peek().is_none() {
            return Err(self.error("empty condition; write e.g. [STATUS] == 200"));
        }
        let left = self.operand()?;
        self.skip_space();
        let op = self.op()?;
        self.skip_space();
        let right = match self.word_ahead().as_deref() {
            Some("any" | "pat") if self.function_ahead() && !matches!(op, Op::Eq | Op::Ne) => {
                return Err(self.error("any(...) and pat(...) go after == or !="));
            }
            Some("any") if self.function_ahead() => {
                self.at += 3;
                self.expect('(', "'(' after any")?;
                let mut options = vec![self.literal()?];
                loop {
                    self.skip_space();
                    if self.eat(',') {
                        options.push(self.literal()?);
                    } else {
                        break;
                    }
                }
                self.expect(')', "',' or ')' in any(...)")?;
                Rhs::Any(options)
            }
            Some("pat") if self.function_ahead() => {
                self.at += 3;
                self.expect('(', "'(' after pat")?;
                self.skip_space();
                let glob = if self.peek() == Some('"') {
                    match self.literal()? {
                        Literal::Text(t) => t,
                        other => other.to_string(),
                    }
                } else {
                    // Unquoted, a pattern runs to the closing parenthesis.
                    let raw: String = self.chars[self.at..]
                        .iter()
                        .take_while(|c| **c != ')')
                        .collect();
                    self.at += raw.chars().count();
                    raw.trim_end().to_owned()
                };
                if glob.is_empty() {
                    return Err(self.error("pat(...) needs a pattern, e.g. pat(2*)"));
                }
                self.expect(')', "')' after the pattern")?;
                Rhs::Pat(glob)
            }
            _ => Rhs::Operand(self.operand()?),
        };
        Ok(Condition { left, op, right })
    }

    /// The bare word starting here, if any.
    fn word_ahead(&self) -> Option<String> {
        let w: String = self.chars[self.at..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
            .collect();
        (!w.is_empty()).then_some(w)
    }

    /// Whether a function name here is followed by `(`.
    fn function_ahead(&self) -> bool {
        let mut i = self.at + 3;
        while self.chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        self.chars.get(i) == Some(&'(')
    }

    fn op(&mut self) -> Result<Op, ParseError> {
        let two: String = self.chars[self.at..].iter().take(2).collect();
        let (op, len) = match two.as_str() {
            "==" => (Op::Eq, 2),
            "!=" => (Op::Ne, 2),
            "<=" => (Op::Le, 2),
            ">=" => (Op::Ge, 2),
            _ if two.starts_with('<') => (Op::Lt, 1),
            _ if two.starts_with('>') => (Op::Gt, 1),
            _ => {
                return Err(self.error("expected an operator: ==, !=, <, <=, > or >="));
            }
        };
        self.at += len;
        Ok(op)
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        self.skip_space();
        match self.peek() {
            Some('[') => {
                let (p, path) = self.placeholder()?;
                Ok(Operand::Value(p, path))
            }
            _ if self.word_ahead().as_deref() == Some("len") && self.function_ahead() => {
                self.at += 3;
                self.expect('(', "'(' after len")?;
                self.skip_space();
                if self.peek() != Some('[') {
                    return Err(self.error("len(...) takes a placeholder, e.g. len([BODY].items)"));
                }
                let (p, path) = self.placeholder()?;
                self.expect(')', "')' after len's placeholder")?;
                Ok(Operand::Len(p, path))
            }
            _ if matches!(self.word_ahead().as_deref(), Some("any" | "pat"))
                && self.function_ahead() =>
            {
                Err(self.error("any(...) and pat(...) go on the right of == or !="))
            }
            _ => Ok(Operand::Literal(self.literal()?)),
        }
    }

    fn placeholder(&mut self) -> Result<(Placeholder, Vec<Step>), ParseError> {
        let start = self.at;
        self.at += 1;
        let name: String = self.chars[self.at..]
            .iter()
            .take_while(|c| **c != ']')
            .collect();
        let Some(p) = Placeholder::ALL.into_iter().find(|p| p.as_str() == name) else {
            self.at = start;
            let names: Vec<_> = Placeholder::ALL.iter().map(|p| p.as_str()).collect();
            return Err(self.error(format!(
                "unknown placeholder [{name}]; known: [{}]",
                names.join("], [")
            )));
        };
        self.at += name.chars().count();
        if !self.eat(']') {
            return Err(self.error("expected ']'"));
        }
        let mut path = Vec::new();
        loop {
            if self.eat('.') {
                let key: String = self.chars[self.at..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || matches!(**c, '_' | '-' | '$' | '@'))
                    .collect();
                if key.is_empty() {
                    return Err(self.error("expected a key after '.'"));
                }
                self.at += key.chars().count();
                path.push(Step::Key(key));
            } else if self.peek() == Some('[') {
                self.at += 1;
                let digits: String = self.chars[self.at..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                let index = digits
                    .parse::<usize>()
                    .map_err(|_| self.error("expected an index, e.g. [0]"))?;
                self.at += digits.len();
                if !self.eat(']') {
                    return Err(self.error("expected ']' after the index"));
                }
                path.push(Step::Index(index));
            } else {
                break;
            }
        }
        if !path.is_empty() && p != Placeholder::Body {
            self.at = start;
            return Err(self.error(format!(
                "only [BODY] has a path; [{}] is a single value",
                p.as_str()
            )));
        }
        Ok((p, path))
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        self.skip_space();
        match self.peek() {
            None => Err(self.error("expected a value")),
            Some('"') => {
                self.at += 1;
                let mut text = String::new();
                loop {
                    match self.peek() {
                        None => return Err(self.error("unterminated string: expected '\"'")),
                        Some('"') => {
                            self.at += 1;
                            break;
                        }
                        Some('\\') => {
                            self.at += 1;
                            match self.peek() {
                                Some(c @ ('"' | '\\')) => {
                                    text.push(c);
                                    self.at += 1;
                                }
                                _ => return Err(self.error("only \\\" and \\\\ escape in a string")),
                            }
                        }
                        Some(c) => {
                            text.push(c);
                            self.at += 1;
                        }
                    }
                }
                Ok(Literal::Text(text))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let word: String = self.chars[self.at..]
                    .iter()
                    .take_while(|c| bare_char(**c))
                    .collect();
                self.at += word.chars().count();
                Ok(Literal::Text(word))
            }
            Some(c) => Err(self.error(format!(
                "unexpected {c:?}: expected a placeholder like [STATUS], a number, a duration or a word"
            ))),
        }
    }

    fn number(&mut self) -> Result<Literal, ParseError> {
        // A word that starts with a digit but is neither a number nor a duration is text: an address
        // (`10.0.0.1`, `[::1]` aside), a version (`2.4.1`).
        let run: String = self.chars[self.at..]
            .iter()
            .enumerate()
            .take_while(|(i, c)| bare_char(**c) || (*i == 0 && **c == '-'))
            .map(|(_, c)| *c)
            .collect();
        let numeric = run.trim_start_matches('-');
        let body = numeric.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let simple =
            body.chars().all(|c| c.is_ascii_digit() || c == '.') && body.matches('.').count() <= 1;
        if !simple || body.is_empty() {
            self.at += run.chars().count();
            return Ok(Literal::Text(run));
        }
        let start = self.at;
        let text: String = self.chars[self.at..]
            .iter()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || **c == '.' || (*i == 0 && **c == '-'))
            .map(|(_, c)| *c)
            .collect();
        self.at += text.len();
        let unit: String = self.chars[self.at..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if unit.is_empty() {
            return match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Literal::Number(n)),
                _ => {
                    self.at = start;
                    Err(self.error(format!("{text:?} is not a number")))
                }
            };
        }
        let Some((unit, size)) = UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(self.error(format!(
                "unknown unit {unit:?}; durations end in ms, s, m, h or d"
            )));
        };
        let n: i64 = text.parse().map_err(|_| ParseError {
            position: start + 1,
            message: format!("{text:?} is not a whole number of {unit}"),
        })?;
        self.at += unit.len();
        match n.checked_mul(*size) {
            Some(_) => Ok(Literal::Duration { amount: n, unit }),
            None => Err(self.error("duration too long")),
        }
    }
}

#[cfg(test)]
mod tests;
