//! The condition language against its examples: canonical printing, parse errors with positions, every
//! operator and placeholder, observed values in outcomes, globs, and printing/parsing round trips (proptest).

use super::*;
use proptest::prelude::*;

fn c(text: &str) -> Condition {
    Condition::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> ParseError {
    Condition::parse(text).expect_err(text)
}

#[test]
fn the_issues_examples_parse_and_print_canonically() {
    for (given, printed) in [
        ("[STATUS] == 200", "[STATUS] == 200"),
        (
            "[BODY].data.items[0].state == ok",
            "[BODY].data.items[0].state == ok",
        ),
        ("[RESPONSE_TIME]<300", "[RESPONSE_TIME] < 300"),
        (
            "[CERTIFICATE_EXPIRATION] > 72h",
            "[CERTIFICATE_EXPIRATION] > 72h",
        ),
        ("[DNS_RCODE] == NOERROR", "[DNS_RCODE] == NOERROR"),
        (
            "[STATUS] == any(200,201, 204)",
            "[STATUS] == any(200, 201, 204)",
        ),
        (
            "[BODY].version != pat(2.*)",
            "[BODY].version != pat(\"2.*\")",
        ),
        ("[BODY].status == pat(UP*)", "[BODY].status == pat(UP*)"),
        ("len([BODY].items) >= 1", "len([BODY].items) >= 1"),
        ("[CONNECTED] == true", "[CONNECTED] == true"),
        ("[IP] == \"10.0.0.1\"", "[IP] == \"10.0.0.1\""),
        ("[RESPONSE_TIME] <= 1500ms", "[RESPONSE_TIME] <= 1500ms"),
        (
            "[CERTIFICATE_EXPIRATION] > 48h",
            "[CERTIFICATE_EXPIRATION] > 48h",
        ),
        (
            "[BODY] == \"say \\\"hi\\\"\"",
            "[BODY] == \"say \\\"hi\\\"\"",
        ),
    ] {
        let parsed = c(given);
        assert_eq!(parsed.to_string(), printed, "{given}");
        assert_eq!(c(printed), parsed, "{printed} parses back");
    }
    assert_eq!(
        c("[CERTIFICATE_EXPIRATION] > 72h").right,
        Rhs::Operand(Operand::Literal(Literal::Duration {
            amount: 72,
            unit: "h"
        }))
    );
    assert_eq!(
        c("[BODY].a[2] == 1").placeholders(),
        [Placeholder::Body],
        "placeholders it reads"
    );
}

#[test]
fn parse_errors_name_the_position() {
    for (text, position, says) in [
        ("[STATUS] = 200", 10, "expected an operator"),
        ("[STATS] == 200", 1, "unknown placeholder [STATS]"),
        ("[STATUS].code == 200", 1, "only [BODY] has a path"),
        ("[STATUS] == 200 and more", 17, "unexpected text"),
        ("len(200) > 1", 5, "len(...) takes a placeholder"),
        ("[STATUS] < any(1, 2)", 12, "go after == or !="),
        ("any(1) == [STATUS]", 1, "go on the right"),
        ("[BODY] == \"open", 16, "unterminated string"),
        ("[RESPONSE_TIME] < 5x", 20, "unknown unit \"x\""),
        ("[RESPONSE_TIME] < 1.5s", 19, "not a whole number"),
        ("[BODY]. == 1", 8, "expected a key"),
        ("[BODY][x] == 1", 8, "expected an index"),
        ("   ", 4, "empty condition"),
        ("[STATUS] ==", 12, "expected a value"),
        ("[STATUS] == pat()", 17, "needs a pattern"),
        ("[STATUS] == any(1,", 19, "expected a value"),
    ] {
        let e = err(text);
        assert_eq!(e.position, position, "{text}: {e}");
        assert!(e.message.contains(says), "{text}: {e}");
    }
    let long = format!("[BODY] == {}", "x".repeat(MAX_CONDITION_LEN));
    assert!(err(&long).message.contains("longer than"));
    let all = parse_all(&["[STATUS] == 200".into(), "[STATUS] ==".into()]).expect_err("second");
    assert_eq!(all.field, "conditions");
    assert!(
        all.message
            .contains("condition 2 \"[STATUS] ==\": at 12: expected a value"),
        "{all}"
    );
}

fn http(status: u16, body: &str, ms: f64) -> Observed<'_> {
    Observed {
        status: Some(status),
        response_time_ms: Some(ms),
        certificate_expires_in_ms: Some(20 * 86_400_000 + 3 * 3_600_000),
        connected: Some(true),
        ip: Some("127.0.0.1".into()),
        ..Observed::default()
    }
    .with_body(body, true)
}

fn holds(text: &str, obs: &Observed<'_>) -> bool {
    c(text).evaluate(obs).ok
}

#[test]
fn every_operator_and_placeholder_evaluates() {
    let body = r#"{"status":"UP","version":"2.4.1","count":"7","data":{"items":[{"state":"ok"},{"state":"bad"}]},"up":true,"none":null}"#;
    let o = http(200, body, 123.4);
    for (text, want) in [
        ("[STATUS] == 200", true),
        ("[STATUS] != 200", false),
        ("[STATUS] < 300", true),
        ("[STATUS] <= 200", true),
        ("[STATUS] > 200", false),
        ("[STATUS] >= 200", true),
        ("[STATUS] == any(201, 200)", true),
        ("[STATUS] != any(201, 200)", false),
        ("[STATUS] == pat(2??)", true),
        ("[STATUS] == pat(3*)", false),
        ("[BODY].status == UP", true),
        ("[BODY].status == up", false),
        ("[BODY].status == pat(U*)", true),
        ("[BODY].version != pat(1.*)", true),
        ("[BODY].data.items[0].state == ok", true),
        ("[BODY].data.items[1].state == ok", false),
        ("[BODY].data.items[5].state == ok", false),
        ("[BODY].count > 5", true),
        ("[BODY].up == true", true),
        ("[BODY].none == null", false),
        ("[BODY].missing != x", false),
        ("[BODY].missing != pat(x*)", false),
        ("len([BODY].data.items) == 2", true),
        ("len([BODY].status) == 2", true),
        ("len([BODY].data) == 1", true),
        ("len([BODY].missing) == 0", false),
        ("[BODY] == pat(*\"UP\"*)", true),
        ("[RESPONSE_TIME] < 300", true),
        ("[RESPONSE_TIME] < 100ms", false),
        ("[RESPONSE_TIME] > 1s", false),
        ("[CERTIFICATE_EXPIRATION] > 14d", true),
        ("[CERTIFICATE_EXPIRATION] > 30d", false),
        ("[CERTIFICATE_EXPIRATION] >= 480h", true),
        ("[CONNECTED] == true", true),
        ("[IP] == \"127.0.0.1\"", true),
        ("[IP] == pat(127.*)", true),
        ("[DNS_RCODE] == NOERROR", false),
        ("[BODY].status < 5", false),
        ("200 == [STATUS]", true),
        ("[STATUS] == [STATUS]", true),
    ] {
        assert_eq!(holds(text, &o), want, "{text}");
    }
    let dns = Observed {
        dns_rcode: Some("NXDOMAIN"),
        ..Observed::default()
    };
    assert!(holds("[DNS_RCODE] == NXDOMAIN", &dns));
    assert!(holds("[DNS_RCODE] != NOERROR", &dns));
    assert!(
        !holds("[STATUS] != 200", &dns),
        "missing is never equal nor unequal"
    );
    let text_body = http(503, "Service Unavailable", 12.0);
    assert!(holds("[BODY] == pat(*Unavailable)", &text_body));
    assert!(!holds("[BODY].status == UP", &text_body), "not JSON");
}

#[test]
fn outcomes_show_what_was_observed() {
    let o = http(503, r#"{"data":{"items":[]}}"#, 1234.56);
    let shown = |text: &str| c(text).evaluate(&o).shown;
    assert_eq!(shown("[STATUS] == 200"), "[STATUS] (503) == 200");
    assert_eq!(
        shown("[RESPONSE_TIME] < 300"),
        "[RESPONSE_TIME] (1234.6ms) < 300"
    );
    assert_eq!(
        shown("[CERTIFICATE_EXPIRATION] > 30d"),
        "[CERTIFICATE_EXPIRATION] (20d 3h) > 30d"
    );
    assert_eq!(
        shown("len([BODY].data.items) > 0"),
        "len([BODY].data.items) (0) > 0"
    );
    assert_eq!(shown("[BODY].state == ok"), "[BODY].state (missing) == ok");
    assert_eq!(
        shown("[STATUS] == any(200, 204)"),
        "[STATUS] (503) == any(200, 204)"
    );
    let hundred = "x".repeat(100);
    let long = http(200, &hundred, 1.0);
    assert_eq!(
        c("[BODY] == y").evaluate(&long).shown,
        format!("[BODY] ({}…) == y", "x".repeat(60))
    );
    let expired = Observed {
        certificate_expires_in_ms: Some(-(2 * 86_400_000 + 3_600_000)),
        ..Observed::default()
    };
    assert_eq!(
        c("[CERTIFICATE_EXPIRATION] > 0").evaluate(&expired).shown,
        "[CERTIFICATE_EXPIRATION] (-2d 1h) > 0"
    );
}

#[test]
fn globs_match_runs_and_single_characters() {
    for (glob, text, want) in [
        ("*", "", true),
        ("a*c", "abbbc", true),
        ("a*c", "abbb", false),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("*.example.com", "api.example.com", true),
        ("*x*y*", "aaxbby", true),
        ("é*", "éa", true),
    ] {
        assert_eq!(glob_match(glob, text), want, "{glob} ~ {text}");
    }
}

fn placeholder() -> impl Strategy<Value = Placeholder> {
    proptest::sample::select(Placeholder::ALL.to_vec())
}

fn path() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9_$@-]{1,8}".prop_map(Step::Key),
            (0usize..50).prop_map(Step::Index),
        ],
        0..4,
    )
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        (-1_000_000i64..1_000_000, 0u32..4)
            .prop_map(|(n, d)| { Literal::Number(n as f64 / 10f64.powi(d as i32)) }),
        (-100_000i64..100_000, 0usize..5).prop_map(|(amount, u)| Literal::Duration {
            amount,
            unit: UNITS[u].0
        }),
        "[ -~é\"\\\\]{0,12}".prop_map(Literal::Text),
    ]
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![
        (placeholder(), path()).prop_map(|(p, path)| {
            let path = if p == Placeholder::Body { path } else { vec![] };
            Operand::Value(p, path)
        }),
        path().prop_map(|path| Operand::Len(Placeholder::Body, path)),
        literal().prop_map(Operand::Literal),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    let op = proptest::sample::select(vec![Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge]);
    (
        operand(),
        op,
        0u8..3,
        operand(),
        proptest::collection::vec(literal(), 1..4),
        "[ -~]{0,10}[!-(*-~]",
    )
        .prop_map(|(left, op, which, right, options, glob)| {
            let eq = matches!(op, Op::Eq | Op::Ne);
            let right = match which {
                1 if eq => Rhs::Any(options),
                2 if eq => Rhs::Pat(glob),
                _ => Rhs::Operand(right),
            };
            Condition { left, op, right }
        })
}

proptest! {
    #[test]
    fn printing_and_parsing_round_trip(cond in condition()) {
        let printed = cond.to_string();
        let parsed = Condition::parse(&printed);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&cond), "{} → {:?}", printed, parsed);
    }

    #[test]
    fn any_text_parses_or_fails_with_a_position_inside_it(text in "[ -~]{0,40}") {
        match Condition::parse(&text) {
            Ok(c) => prop_assert_eq!(Condition::parse(&c.to_string()).ok(), Some(c)),
            Err(e) => prop_assert!(e.position >= 1 && e.position <= text.chars().count() + 1, "{}", e),
        }
    }
}

#[test]
fn addresses_and_versions_are_text() {
    for (given, text) in [
        ("[IP] == 10.0.0.1", "10.0.0.1"),
        ("[BODY].version == 2.4.1", "2.4.1"),
        ("[IP] == 127.0.0.1:53", "127.0.0.1:53"),
    ] {
        let parsed = c(given);
        assert_eq!(
            parsed.right,
            Rhs::Operand(Operand::Literal(Literal::Text(text.into()))),
            "{given}"
        );
        assert_eq!(c(&parsed.to_string()), parsed);
    }
}
