//! Go's `fmt.Sprint`, `fmt.Sprintln` and `fmt.Sprintf` over template values (the common verbs).

use super::value::{Value, Walk, go_float_e, go_float_f, go_float_g, go_quote};

/// `fmt.Sprint`: spaces between operands when neither is a string.
pub fn go_sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        a.write_go(&mut out);
    }
    out
}

/// `fmt.Sprintln`: spaces between all operands and a final newline.
pub fn go_sprintln(args: &[Value]) -> String {
    let mut out = args.iter().map(Value::to_go_string).collect::<Vec<_>>().join(" ");
    out.push('\n');
    out
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn sign(s: String, spec: &Spec) -> String {
    if s.starts_with('-') || s.starts_with('+') {
        s
    } else if spec.plus {
        format!("+{s}")
    } else if spec.space {
        format!(" {s}")
    } else {
        s
    }
}

/// One operand formatted with one verb, padded as Go pads it: each element of a list or map on its
/// own, and inside `%!verb(type=value)`.
fn format_one(verb: char, v: &Value, spec: &Spec) -> String {
    format_at(verb, v, spec, 0, &mut Walk::default())
}

fn format_at(verb: char, v: &Value, spec: &Spec, depth: usize, walk: &mut Walk) -> String {
    if !walk.enter(depth) {
        return "...".into();
    }
    match v {
        Value::List(items) if verb != 'T' => {
            let parts: Vec<String> =
                items.iter().map(|x| format_at(verb, x, spec, depth + 1, walk)).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Map(m) if verb != 'T' => {
            let parts: Vec<String> = m
                .entries()
                .iter()
                .map(|(k, x)| {
                    format!(
                        "{}:{}",
                        format_at(verb, &Value::Str(k.clone()), spec, depth + 1, walk),
                        format_at(verb, x, spec, depth + 1, walk)
                    )
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        // A nil inside a list or map prints `<nil>` whatever the verb, unpadded.
        Value::Nil if depth > 0 => "<nil>".into(),
        Value::Nil if verb == 'v' || verb == 'T' => pad("<nil>".into(), spec, false),
        Value::Nil => format!("%!{verb}(<nil>)"),
        v => match leaf(verb, v, spec) {
            // An integer with a precision is padded with spaces: the precision gives its zeros.
            Some(s) if matches!(v, Value::Int(_) | Value::Int64(_)) && spec.prec.is_some() => {
                pad(s, &Spec { zero: false, ..*spec }, true)
            }
            Some(s) => pad(s, spec, matches!(v, Value::Int(_) | Value::Int64(_) | Value::Float(_))),
            // Go prints the operand with `%v` and the same flags inside the complaint.
            None => format!("%!{verb}({}={})", v.type_name(), format_at('v', v, spec, depth + 1, walk)),
        },
    }
}

/// A scalar formatted with a verb that suits its type, before padding; `None` for a wrong verb.
fn leaf(verb: char, v: &Value, spec: &Spec) -> Option<String> {
    let prefixed = |digits: String, prefix: &str| -> String {
        match digits.strip_prefix('-') {
            Some(d) if spec.sharp => format!("-{prefix}{d}"),
            None if spec.sharp => format!("{prefix}{digits}"),
            _ => digits,
        }
    };
    Some(match (verb, v) {
        ('v', Value::Float(f)) => sign(go_float_g(*f, spec.prec, false), spec),
        ('v' | 'd', Value::Int(i) | Value::Int64(i)) => sign(min_digits(*i, spec.prec), spec),
        ('v', Value::Str(s)) if spec.sharp => go_quote(s),
        ('v' | 's', Value::Str(s)) => match spec.prec {
            Some(p) => s.chars().take(p).collect(),
            None => s.clone(),
        },
        ('v', v) => v.to_go_string(),
        ('T', v) => v.type_name(),
        ('s', Value::Object(o)) => o.to_go_string(),
        ('q', Value::Str(s)) if spec.sharp && can_backquote(s) => format!("`{s}`"),
        ('q', Value::Str(s)) => go_quote(s),
        ('q', Value::Int(i) | Value::Int64(i)) => match u32::try_from(*i).ok().and_then(char::from_u32) {
            Some('\'') => "'\\''".to_string(),
            Some(c) => {
                let q = go_quote(&c.to_string());
                format!("'{}'", q.get(1..q.len() - 1).unwrap_or_default().replace("\\\"", "\""))
            }
            None => "'\u{fffd}'".to_string(),
        },
        ('x' | 'X', Value::Str(s)) => {
            let h = data_encoding::HEXLOWER.encode(s.as_bytes());
            let h = prefixed(h, "0x");
            if verb == 'X' { h.to_uppercase() } else { h }
        }
        ('b', Value::Int(i) | Value::Int64(i)) => {
            sign(if *i < 0 { format!("-{:b}", i.unsigned_abs()) } else { format!("{i:b}") }, spec)
        }
        ('o', Value::Int(i) | Value::Int64(i)) => {
            let o = if *i < 0 { format!("-{:o}", i.unsigned_abs()) } else { format!("{i:o}") };
            sign(prefixed(o, "0"), spec)
        }
        ('x', Value::Int(i) | Value::Int64(i)) => {
            let x = if *i < 0 { format!("-{:x}", i.unsigned_abs()) } else { format!("{i:x}") };
            sign(prefixed(x, "0x"), spec)
        }
        ('X', Value::Int(i) | Value::Int64(i)) => {
            let x = if *i < 0 { format!("-{:X}", i.unsigned_abs()) } else { format!("{i:X}") };
            sign(prefixed(x, "0X"), spec)
        }
        ('c', Value::Int(i) | Value::Int64(i)) => {
            u32::try_from(*i).ok().and_then(char::from_u32).unwrap_or('\u{fffd}').to_string()
        }
        ('U', Value::Int(i) | Value::Int64(i)) => format!("U+{i:04X}"),
        ('t', Value::Bool(b)) => b.to_string(),
        ('e' | 'E', Value::Float(f)) => sign(go_float_e(*f, spec.prec.unwrap_or(6), verb == 'E'), spec),
        ('f' | 'F', Value::Float(f)) => sign(go_float_f(*f, spec.prec.unwrap_or(6)), spec),
        ('g' | 'G', Value::Float(f)) => sign(go_float_g(*f, spec.prec, verb == 'G'), spec),
        _ => return None,
    })
}

/// An integer with at least `prec` digits (Go's integer precision; `%.0d` of 0 is empty).
fn min_digits(i: i64, prec: Option<usize>) -> String {
    let digits = i.unsigned_abs().to_string();
    let digits = match prec {
        Some(0) if i == 0 => String::new(),
        Some(p) if p > digits.len() => format!("{}{digits}", "0".repeat(p - digits.len())),
        _ => digits,
    };
    if i < 0 { format!("-{digits}") } else { digits }
}

/// Go's `strconv.CanBackquote`: no backquote and no control character but tab.
fn can_backquote(s: &str) -> bool {
    s.chars().all(|c| c != '`' && c != '\u{feff}' && (c == '\t' || !c.is_control()))
}

fn pad(s: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return s };
    let n = s.chars().count();
    if n >= w {
        return s;
    }
    let fill = w - n;
    if spec.minus {
        return format!("{s}{}", " ".repeat(fill));
    }
    // Go pads with zeros for strings too; a number keeps its sign in front.
    if spec.zero {
        let (sign, digits) =
            if numeric && s.starts_with(['-', '+', ' ']) { s.split_at(1) } else { ("", s.as_str()) };
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    format!("{}{s}", " ".repeat(fill))
}

/// Reads a decimal number at `chars[*i..]`, capped so a hostile width cannot allocate without bound.
fn number(chars: &[char], i: &mut usize) -> Option<usize> {
    let start = *i;
    let mut n: usize = 0;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        n = (n * 10 + d as usize).min(1 << 20);
        *i += 1;
    }
    (*i > start).then_some(n)
}

/// `fmt.Sprintf` with Go's verbs `%v %s %q %d %b %o %x %X %c %U %t %e %E %f %F %g %G %T %%`, flags
/// `- + space 0 #`, width and precision; and Go's `%!verb(type=value)`, `%!v(MISSING)`, `%!(EXTRA …)`.
pub fn go_sprintf(format: &str, args: &[Value]) -> String {
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut argi = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            i += 1;
        }
        spec.width = number(&chars, &mut i);
        if chars.get(i) == Some(&'.') {
            i += 1;
            spec.prec = Some(number(&chars, &mut i).unwrap_or(0));
        }
        let Some(&verb) = chars.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        // `%+v` and `%#v` are Go's plusV/sharpV: no sign; `#` still quotes strings.
        if verb == 'v' {
            spec.plus = false;
        }
        out.push_str(&format_one(verb, arg, &spec));
    }
    if argi < args.len() {
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| match a {
                Value::Nil => "<nil>".to_string(),
                a => format!("{}={}", a.type_name(), a.to_go_string()),
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}
