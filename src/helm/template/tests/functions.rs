//! The Sprig and Helm function set: bounds on walking values, the table and arities against Helm's,
//! argument errors, and the functions whose output is random or read from the clock.

use std::collections::BTreeMap;

use super::*;

/// Go lets a map contain itself (`set $m "me" $m`); charts can do it by passing `$` into a map under
/// `.Values`. Every function that walks values must stop (output limit or an error), never overflow
/// the stack or hang, even when the cycle doubles at every level.
#[test]
fn self_containing_maps_do_not_hang_or_overflow() {
    let setup = "{{ $m := dict \"k\" 1 }}{{ $_ := set $m \"a\" $m }}{{ $_ := set $m \"b\" $m }}";
    for use_it in [
        "{{ $m }}",
        "{{ toYaml $m }}",
        "{{ toJson $m }}",
        "{{ printf \"%v\" $m }}",
        "{{ printf \"%d\" $m }}",
        "{{ deepEqual $m (deepCopy $m) }}",
        "{{ toToml $m }}",
        "{{ merge $m $m }}{{ mergeOverwrite (dict) $m }}",
        "{{ has $m (list $m) }}{{ uniq (list $m $m) }}",
        "{{ toString $m | len }}",
        "{{ toPrettyJson $m }}",
    ] {
        let mut t = Templates::new(Funcs::helm());
        t.limits.max_output = 1 << 20;
        assert!(t.add("t", &format!("{setup}{use_it}")).is_ok());
        let start = std::time::Instant::now();
        let _ = t.execute("t", &Value::Nil);
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "{use_it} took too long");
    }
}

/// The same at the deepest template nesting the limits allow, on a 2 MiB test-thread stack.
#[test]
fn walking_deep_values_fits_the_stack() {
    let depth = parse::MAX_NESTING - 10;
    let body = format!(
        "{}{{{{ toYaml $.deep | len }}}}{{{{ toJson $.deep | len }}}}{{{{ printf \"%v\" $.deep | len }}}}{{{{ deepCopy $.deep | len }}}}{}",
        "{{ with $x := 1 }}".repeat(depth),
        "{{ end }}".repeat(depth)
    );
    let src = format!(
        "{{{{ $d := dict }}}}{{{{ range 2000 }}}}{{{{ $d = dict \"n\" $d \"l\" (list $d) }}}}{{{{ end }}}}{{{{ $_ := set $ \"deep\" $d }}}}{body}"
    );
    let mut t = Templates::new(Funcs::helm());
    if let Err(e) = t.add("t", &src) {
        panic!("{e}");
    }
    let _ = t.execute("t", &Value::map(BTreeMap::new()));
}

/// The function table holds exactly the functions Helm 4.2.3 defines (probed with helm-python-sdk:
/// Sprig v3 less `env`/`expandenv`, plus Helm's own and Go's builtins).
#[test]
fn function_table_matches_helm() {
    let helm: String = [
        "abbrev abbrevboth add add1 add1f addf adler32sum ago all and any append atoi b32dec b32enc b64dec ",
        "b64enc base bcrypt biggest buildCustomCert call camelcase cat ceil chunk clean coalesce compact ",
        "concat contains date dateInZone dateModify date_in_zone date_modify decryptAES deepCopy deepEqual ",
        "default derivePassword dict dig dir div divf duration durationRound empty encryptAES eq ext fail ",
        "first float64 floor fromJson fromJsonArray fromToml fromYaml fromYamlArray ge genCA genCAWithKey ",
        "genPrivateKey genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey get ",
        "getHostByName gt has hasKey hasPrefix hasSuffix hello html htmlDate htmlDateInZone htpasswd include ",
        "indent index initial initials int int64 isAbs join js kebabcase keys kindIs kindOf last le len list ",
        "lookup lower lt max maxf merge mergeOverwrite min minf mod mul mulf mustAppend mustChunk mustCompact ",
        "mustDateModify mustDeepCopy mustFirst mustFromJson mustHas mustInitial mustLast mustMerge ",
        "mustMergeOverwrite mustPrepend mustPush mustRegexFind mustRegexFindAll mustRegexMatch ",
        "mustRegexReplaceAll mustRegexReplaceAllLiteral mustRegexSplit mustRest mustReverse mustSlice ",
        "mustToDate mustToJson mustToPrettyJson mustToRawJson mustToToml mustToYaml mustUniq mustWithout ",
        "must_date_modify ne nindent nospace not now omit or osBase osClean osDir osExt osIsAbs pick pluck ",
        "plural prepend print printf println push quote randAlpha randAlphaNum randAscii randBytes randInt ",
        "randNumeric regexFind regexFindAll regexMatch regexQuoteMeta regexReplaceAll regexReplaceAllLiteral ",
        "regexSplit repeat replace required rest reverse round semver semverCompare seq set sha1sum sha256sum ",
        "sha512sum shuffle slice snakecase sortAlpha split splitList splitn squote sub subf substr swapcase ",
        "ternary title toDate toDecimal toJson toPrettyJson toRawJson toString toStrings toToml toYaml ",
        "toYamlPretty tpl trim trimAll trimPrefix trimSuffix trimall trunc tuple typeIs typeIsLike typeOf ",
        "uniq unixEpoch unset until untilStep untitle upper urlJoin urlParse urlquery uuidv4 values without ",
        "wrap wrapWith ",
    ]
    .concat();
    let mut want: Vec<&str> = helm.split_whitespace().collect();
    want.sort_unstable();
    assert_eq!(Funcs::helm().names(), want);
}

/// Random and clock-reading functions differ on every render (in Helm too), so they are checked for
/// their shape rather than against the oracle.
#[test]
fn nondeterministic_functions_have_the_right_shape() {
    let out = render(
        "{{ randAlphaNum 20 }}\n{{ randAlpha 15 }}\n{{ randNumeric 12 }}\n{{ randAscii 30 }}\n{{ randAlphaNum 0 }}\n{{ uuidv4 }}\n{{ uuidv4 }}\n{{ shuffle \"abcdefgh\" }}\n{{ randBytes 12 }}",
        "{}",
    );
    // Newline-separated: `randAscii` can produce any printable character but not a line break.
    let parts: Vec<&str> = out.split('\n').collect();
    assert_eq!(parts.len(), 9, "{out}");
    assert!(parts[0].len() == 20 && parts[0].chars().all(|c| c.is_ascii_alphanumeric()), "{out}");
    assert!(parts[1].len() == 15 && parts[1].chars().all(|c| c.is_ascii_alphabetic()), "{out}");
    assert!(parts[2].len() == 12 && parts[2].chars().all(|c| c.is_ascii_digit()), "{out}");
    assert!(parts[3].len() == 30 && parts[3].chars().all(|c| (' '..='~').contains(&c)), "{out}");
    assert_eq!(parts[4], "");
    let uuid =
        regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$").ok();
    assert!(uuid.as_ref().is_some_and(|r| r.is_match(parts[5]) && r.is_match(parts[6])), "{out}");
    assert_ne!(parts[5], parts[6]);
    let mut shuffled: Vec<char> = parts[7].chars().collect();
    shuffled.sort_unstable();
    assert_eq!(shuffled.into_iter().collect::<String>(), "abcdefgh");
    assert_eq!(data_encoding::BASE64.decode(parts[8].as_bytes()).map(|b| b.len()).ok(), Some(12));
    for _ in 0..50 {
        let n: i64 = render("{{ randInt 3 7 }}", "{}").parse().unwrap_or(-1);
        assert!((3..7).contains(&n), "{n}");
    }

    let year = crate::date::Date::today_utc().year.to_string();
    let today = crate::date::Date::today_utc().to_string();
    let now = render(
        "{{ now | date \"2006\" }}|{{ htmlDate now }}|{{ typeOf now }}|{{ ago now }}|{{ date \"2006-01-02\" \"not a time\" }}|{{ dateInZone \"2006\" now \"UTC\" }}|{{ now | unixEpoch }}|{{ now | dateModify \"-24h\" | htmlDate }}|{{ durationRound now }}",
        "{}",
    );
    let p: Vec<&str> = now.split('|').collect();
    assert_eq!(p[..6], [year.as_str(), &today, "time.Time", "0s", &today, &year], "{now}");
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    assert!(p[6].parse::<i64>().is_ok_and(|t| (t - epoch).abs() < 5), "{now}");
    assert!(p[7] < today.as_str() && p[7].len() == 10, "{now}");
    assert_eq!(p[8], "0s");
}

/// A wrongly typed argument is reported as Go does: at the argument, before the call (the messages
/// and columns are Helm's for these templates).
#[test]
fn argument_type_errors_point_at_the_argument() {
    let cases = [
        (
            r#"{{ nindent 2 .m }}"#,
            "t:1:13: executing \"t\" at <.m>: wrong type for value; expected string; got map[string]interface {}",
        ),
        (
            r#"{{ .m | upper }}"#,
            "t:1:8: executing \"t\" at <upper>: wrong type for value; expected string; got map[string]interface {}",
        ),
        (r#"{{ repeat "x" "y" }}"#, "t:1:10: executing \"t\" at <\"x\">: expected integer; found \"x\""),
        (
            r#"{{ trunc .n "abc" }}"#,
            "t:1:9: executing \"t\" at <.n>: wrong type for value; expected int; got float64",
        ),
        (r#"{{ ternary 1 2 "x" }}"#, "t:1:15: executing \"t\" at <\"x\">: expected bool; found \"x\""),
        (r#"{{ set .missing "k" 1 }}"#, "error calling set: assignment to entry in nil map"),
    ];
    for (src, want) in cases {
        let e = render_err(src, r#"{"m":{"a":1},"n":3.0}"#);
        assert!(e.ends_with(want), "{src}: {e}");
    }
}

/// Password hashes are salted: checked by verifying them.
#[test]
fn password_hashes_verify() {
    let out =
        render("{{ htpasswd \"admin\" \"s3cret\" }}|{{ bcrypt \"pw\" }}|{{ htpasswd \"a:b\" \"x\" }}", "{}");
    let p: Vec<&str> = out.split('|').collect();
    let hash = p[0].strip_prefix("admin:").unwrap_or_default();
    assert!(hash.starts_with("$2a$10$") && bcrypt::verify("s3cret", hash).unwrap_or(false), "{out}");
    assert!(p[1].starts_with("$2a$10$") && bcrypt::verify("pw", p[1]).unwrap_or(false), "{out}");
    assert_eq!(p[2], "invalid username: a:b");
}

/// Key and certificate generators are not implemented: the error names the function, on its line.
#[test]
fn key_generators_fail_with_their_name() {
    for f in [
        "genCA \"x\" 365",
        "genPrivateKey \"rsa\"",
        "derivePassword 1 \"l\" \"p\" \"u\" \"s\"",
        "encryptAES \"k\" \"t\"",
    ] {
        let e = render_err(&format!("ok\n{{{{ {f} }}}}"), "{}");
        let name = f.split(' ').next().unwrap_or_default();
        assert!(e.contains(&format!("error calling {name}")) && e.contains("t:2:"), "{e}");
    }
}

/// Every function takes the number of arguments Helm's does (probed: `name=N` exact, `name>=N` at
/// least; `and`/`or` are the executor's).
#[test]
fn function_arities_match_helm() {
    let helm: String = [
        "abbrev=2 abbrevboth=3 add>=0 add1=1 add1f=1 addf>=0 adler32sum=1 ago=1 all>=0 any>=0 append=2 atoi=1 ",
        "b32dec=1 b32enc=1 b64dec=1 b64enc=1 base=1 bcrypt=1 biggest>=1 buildCustomCert=2 call>=1 camelcase=1 ",
        "cat>=0 ceil=1 chunk=2 clean=1 coalesce>=0 compact=1 concat>=0 contains=2 date=2 dateInZone=3 ",
        "dateModify=2 date_in_zone=3 date_modify=2 decryptAES=2 deepCopy=1 deepEqual=2 default>=1 ",
        "derivePassword=5 dict>=0 dig>=0 dir=1 div=2 divf>=1 duration=1 durationRound=1 empty=1 encryptAES=2 ",
        "eq>=1 ext=1 fail=1 first=1 float64=1 floor=1 fromJson=1 fromJsonArray=1 fromToml=1 fromYaml=1 ",
        "fromYamlArray=1 ge=2 genCA=2 genCAWithKey=3 genPrivateKey=1 genSelfSignedCert=4 ",
        "genSelfSignedCertWithKey=5 genSignedCert=5 genSignedCertWithKey=6 get=2 getHostByName=1 gt=2 has=2 ",
        "hasKey=2 hasPrefix=2 hasSuffix=2 hello=0 html>=0 htmlDate=1 htmlDateInZone=2 htpasswd=2 include=2 ",
        "indent=2 index>=1 initial=1 initials=1 int=1 int64=1 isAbs=1 join=2 js>=0 kebabcase=1 keys>=0 ",
        "kindIs=2 kindOf=1 last=1 le=2 len=1 list>=0 lookup=4 lower=1 lt=2 max>=1 maxf>=1 merge>=1 ",
        "mergeOverwrite>=1 min>=1 minf>=1 mod=2 mul>=1 mulf>=1 mustAppend=2 mustChunk=2 mustCompact=1 ",
        "mustDateModify=2 mustDeepCopy=1 mustFirst=1 mustFromJson=1 mustHas=2 mustInitial=1 mustLast=1 ",
        "mustMerge>=1 mustMergeOverwrite>=1 mustPrepend=2 mustPush=2 mustRegexFind=2 mustRegexFindAll=3 ",
        "mustRegexMatch=2 mustRegexReplaceAll=3 mustRegexReplaceAllLiteral=3 mustRegexSplit=3 mustRest=1 ",
        "mustReverse=1 mustSlice>=1 mustToDate=2 mustToJson=1 mustToPrettyJson=1 mustToRawJson=1 mustToToml=1 ",
        "mustToYaml=1 mustUniq=1 mustWithout>=1 must_date_modify=2 ne=2 nindent=2 nospace=1 not=1 now=0 ",
        "omit>=1 osBase=1 osClean=1 osDir=1 osExt=1 osIsAbs=1 pick>=1 pluck>=1 plural=3 prepend=2 print>=0 ",
        "printf>=1 println>=0 push=2 quote>=0 randAlpha=1 randAlphaNum=1 randAscii=1 randBytes=1 randInt=2 ",
        "randNumeric=1 regexFind=2 regexFindAll=3 regexMatch=2 regexQuoteMeta=1 regexReplaceAll=3 ",
        "regexReplaceAllLiteral=3 regexSplit=3 repeat=2 replace=3 required=2 rest=1 reverse=1 round>=2 ",
        "semver=1 semverCompare=2 seq>=0 set=3 sha1sum=1 sha256sum=1 sha512sum=1 shuffle=1 slice>=1 ",
        "snakecase=1 sortAlpha=1 split=2 splitList=2 splitn=3 squote>=0 sub=2 subf>=1 substr=3 swapcase=1 ",
        "ternary=3 title=1 toDate=2 toDecimal=1 toJson=1 toPrettyJson=1 toRawJson=1 toString=1 toStrings=1 ",
        "toToml=1 toYaml=1 toYamlPretty=1 tpl=2 trim=1 trimAll=2 trimPrefix=2 trimSuffix=2 trimall=2 trunc=2 ",
        "tuple>=0 typeIs=2 typeIsLike=2 typeOf=1 uniq=1 unixEpoch=1 unset=2 until=1 untilStep=3 untitle=1 ",
        "upper=1 urlJoin=1 urlParse=1 urlquery>=0 uuidv4=0 values=1 without>=1 wrap=2 wrapWith=3 ",
    ]
    .concat();
    let funcs = Funcs::helm();
    let mut wrong = Vec::new();
    for item in helm.split_whitespace() {
        let (name, want) = match item.split_once(">=") {
            Some((n, k)) => (n, format!("AtLeast({k})")),
            None => item.split_once('=').map_or((item, String::new()), |(n, k)| (n, format!("Exact({k})"))),
        };
        let got = funcs.get(name).map(|d| format!("{:?}", d.arity)).unwrap_or_default();
        if got != want {
            wrong.push(format!("{name}: {got} (Helm: {want})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every function, called with arguments drawn from awkward values (negative and huge numbers,
/// multi-byte text, nil, nested and typed containers, objects), gives a value or an error, never a
/// panic or a hang.
#[test]
fn every_function_survives_awkward_arguments() {
    const ARGS: &[&str] = &[
        "0",
        "1",
        "-1",
        "7",
        "-9223372036854775808",
        "9223372036854775807",
        "2.5",
        "-0.5",
        "1e300",
        "\"\"",
        "\"a\"",
        "\"héllo wörld\"",
        "\"日本語テキスト\"",
        "\"a,b,,c\"",
        "\"{{ .x }}\"",
        "\"[\"",
        "\"a{2\"",
        "\"0x1F\"",
        "\"-\"",
        "\"  \"",
        "\"a\\nb\"",
        "true",
        "nil",
        ".missing",
        ".m",
        ".l",
        ".s",
        ".f",
        "(list)",
        "(dict)",
        "(list 1 \"a\" nil (list 2))",
        "(dict \"a\" (dict \"b\" 1))",
        "(splitList \",\" \"x,y\")",
        "(until 3)",
        "(split \",\" \"p,q\")",
        "(semver \"1.2.3\")",
        "(toDate \"2006-01-02\" \"2020-01-01\")",
        "(add 1 2)",
    ];
    let funcs = Funcs::helm();
    let skip = ["include", "tpl", "fail", "required"];
    let names: Vec<&str> = funcs.names().into_iter().filter(|n| !skip.contains(n)).collect();
    let data = values(r#"{"m":{"k":[1,{"z":null}]},"l":[3,"x",null],"s":"str","f":1.5}"#);
    let mut seed: u64 = 0x0fed_cba9_8765_4321;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in &names {
        for _ in 0..20 {
            let n = (next() % 5) as usize;
            let args: Vec<&str> = (0..n).map(|_| ARGS[(next() % ARGS.len() as u64) as usize]).collect();
            let src = format!("{{{{ {name} {} }}}}", args.join(" "));
            let mut t = Templates::new(Funcs::helm());
            t.limits = Limits { max_depth: 10, max_output: 1 << 16, max_steps: 100_000 };
            if t.add("t", &src).is_ok() {
                let _ = t.execute("t", &data);
            }
        }
    }
}
