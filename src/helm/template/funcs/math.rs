//! Sprig's math (`numeric.go` and the arithmetic in `functions.go`): integer functions convert with
//! `cast.ToInt64` and return `int64`; the `…f` functions compute in decimal (shopspring/decimal, from
//! each float's shortest representation) and return `float64`.

use super::super::exec::{CallError, State};
use super::super::value::Value;
use super::{Arity, Funcs, float_arg, int_arg, string_arg, to_float64, to_int64};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("add1", Exact(1), |_, a| Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1))));
    f.insert("add", AtLeast(0), |_, a| {
        Ok(Value::Int64(a.iter().fold(0i64, |s, v| s.wrapping_add(to_int64(v)))))
    });
    f.insert("sub", Exact(2), |_, a| Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1])))));
    f.insert("mul", AtLeast(1), |_, a| {
        Ok(Value::Int64(a[1..].iter().fold(to_int64(&a[0]), |s, v| s.wrapping_mul(to_int64(v)))))
    });
    f.insert("div", Exact(2), |_, a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_div(d)))
    });
    f.insert("mod", Exact(2), |_, a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_rem(d)))
    });
    for name in ["max", "biggest"] {
        f.insert(name, AtLeast(1), |_, a| {
            Ok(Value::Int64(a.iter().map(to_int64).fold(to_int64(&a[0]), i64::max)))
        });
    }
    f.insert("min", AtLeast(1), |_, a| {
        Ok(Value::Int64(a.iter().map(to_int64).fold(to_int64(&a[0]), i64::min)))
    });
    f.insert("maxf", AtLeast(1), |_, a| {
        Ok(Value::Float(a[1..].iter().map(to_float64).fold(to_float64(&a[0]), go_max)))
    });
    f.insert("minf", AtLeast(1), |_, a| {
        Ok(Value::Float(a[1..].iter().map(to_float64).fold(to_float64(&a[0]), go_min)))
    });
    f.insert("floor", Exact(1), |_, a| Ok(Value::Float(to_float64(&a[0]).floor())));
    f.insert("ceil", Exact(1), |_, a| Ok(Value::Float(to_float64(&a[0]).ceil())));
    f.insert("round", AtLeast(2), round);
    f.insert("int", Exact(1), |_, a| Ok(Value::Int(to_int64(&a[0]))));
    f.insert("int64", Exact(1), |_, a| Ok(Value::Int64(to_int64(&a[0]))));
    f.insert("float64", Exact(1), |_, a| Ok(Value::Float(to_float64(&a[0]))));
    f.insert("atoi", Exact(1), |_, a| Ok(Value::Int(atoi(string_arg(&a, 0)?))));
    f.insert("toDecimal", Exact(1), |_, a| {
        let s = a[0].to_go_string();
        let digits = s.strip_prefix(['+', '-']).unwrap_or(&s);
        let ok = !digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b));
        let n = if ok { i64::from_str_radix(&s, 8).unwrap_or(0) } else { 0 };
        Ok(Value::Int64(n))
    });
    f.insert("add1f", Exact(1), |_, a| Ok(Value::Float(decimal_op(&a[0], &[Value::Int(1)], Op::Add)?)));
    f.insert("addf", AtLeast(0), |_, a| Ok(Value::Float(decimal_op(&Value::Float(0.0), &a, Op::Add)?)));
    f.insert("subf", AtLeast(1), |_, a| Ok(Value::Float(decimal_op(&a[0], &a[1..], Op::Sub)?)));
    f.insert("mulf", AtLeast(1), |_, a| Ok(Value::Float(decimal_op(&a[0], &a[1..], Op::Mul)?)));
    f.insert("divf", AtLeast(1), |_, a| Ok(Value::Float(decimal_op(&a[0], &a[1..], Op::Div)?)));
}

/// Go's `math.Max`/`math.Min` (NaN wins).
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

/// `strconv.Atoi`, with Sprig ignoring the error: 0 for anything that is not a decimal integer, the
/// nearest bound for one out of range.
fn atoi(s: &str) -> i64 {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    match s.parse::<i64>() {
        Ok(n) => n,
        Err(_) if s.starts_with('-') => i64::MIN,
        Err(_) => i64::MAX,
    }
}

fn round(_: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let val = to_float64(&a[0]);
    let places = int_arg(&a, 1)? as f64;
    let round_on = match a.get(2) {
        Some(_) => float_arg(&a, 2)?,
        None => 0.5,
    };
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let frac = digit - digit.trunc();
    let r = if frac >= round_on { digit.ceil() } else { digit.floor() };
    Ok(Value::Float(r / pow))
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// An exact decimal `mant × 10^exp`, as shopspring/decimal holds it.
#[derive(Clone, Copy)]
struct Dec {
    mant: i128,
    exp: i32,
}

impl Dec {
    /// `decimal.NewFromFloat`: the float's shortest decimal representation.
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e')?;
        let exp: i32 = e.parse().ok()?;
        let neg = m.starts_with('-');
        let m = m.trim_start_matches('-');
        let (int, frac) = m.split_once('.').unwrap_or((m, ""));
        let digits = format!("{int}{frac}");
        let mant: i128 = digits.parse().ok()?;
        Some(Dec { mant: if neg { -mant } else { mant }, exp: exp - frac.len() as i32 })
    }

    fn to_f64(self) -> Option<f64> {
        format!("{}e{}", self.mant, self.exp).parse().ok()
    }

    fn rescale(self, exp: i32) -> Option<i128> {
        let diff = u32::try_from(self.exp - exp).ok()?;
        self.mant.checked_mul(10i128.checked_pow(diff)?)
    }

    fn apply(self, op: Op, o: Dec) -> Option<Dec> {
        match op {
            Op::Add | Op::Sub => {
                let exp = self.exp.min(o.exp);
                let (a, b) = (self.rescale(exp)?, o.rescale(exp)?);
                let mant = if matches!(op, Op::Add) { a.checked_add(b)? } else { a.checked_sub(b)? };
                Some(Dec { mant, exp })
            }
            Op::Mul => Some(Dec { mant: self.mant.checked_mul(o.mant)?, exp: self.exp.checked_add(o.exp)? }),
            // `Div` is `DivRound(d, 16)`: the quotient rounded half away from zero at 16 decimals.
            Op::Div => {
                // One digit past the 16th decimal, then rounded on it.
                let shift = self.exp - o.exp + 17;
                let (num, den) = if shift >= 0 {
                    (self.mant.checked_mul(10i128.checked_pow(shift as u32)?)?, o.mant)
                } else {
                    (self.mant, o.mant.checked_mul(10i128.checked_pow(shift.unsigned_abs())?)?)
                };
                let q = num / den;
                let (q, last) = (q / 10, q % 10);
                let q = match last {
                    5.. => q + 1,
                    ..=-5 => q - 1,
                    _ => q,
                };
                Some(Dec { mant: q, exp: -16 })
            }
        }
    }
}

fn decimal_op(first: &Value, rest: &[Value], op: Op) -> Result<f64, CallError> {
    let mut acc = to_float64(first);
    let mut dec = Dec::from_f64(acc);
    for v in rest {
        let x = to_float64(v);
        if matches!(op, Op::Div) && x == 0.0 {
            return Err("decimal division by zero".into());
        }
        dec = match (dec, Dec::from_f64(x)) {
            (Some(a), Some(b)) => a.apply(op, b),
            _ => None,
        };
        // Past i128's range (exponents far apart), plain float arithmetic is as close as it gets.
        acc = match dec.and_then(Dec::to_f64) {
            Some(f) => f,
            None => match op {
                Op::Add => acc + x,
                Op::Sub => acc - x,
                Op::Mul => acc * x,
                Op::Div => acc / x,
            },
        };
        if dec.is_none() {
            dec = Dec::from_f64(acc);
        }
    }
    Ok(acc)
}
