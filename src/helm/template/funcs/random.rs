//! Random values: `randAlphaNum`, `randAlpha`, `randNumeric`, `randAscii`, `shuffle`, `randInt`,
//! `randBytes` and `uuidv4`, from the operating system's random source. They differ on every render,
//! as they do in Helm; tests check their shape.

use super::super::exec::{CallError, State};
use super::super::value::Value;
use super::{Arity, Funcs, int_arg, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("randAlphaNum", Exact(1), |s, a| random_string(s, &a, ALNUM));
    f.insert("randAlpha", Exact(1), |s, a| random_string(s, &a, ALPHA));
    f.insert("randNumeric", Exact(1), |s, a| random_string(s, &a, b"0123456789"));
    f.insert("randAscii", Exact(1), |s, a| random_string(s, &a, ASCII));
    f.insert("shuffle", Exact(1), |_, a| {
        let mut chars: Vec<char> = string_arg(&a, 0)?.chars().collect();
        for i in (1..chars.len()).rev() {
            let j = (random_u64()? % (i as u64 + 1)) as usize;
            chars.swap(i, j);
        }
        Ok(Value::Str(chars.into_iter().collect()))
    });
    f.insert("uuidv4", Exact(0), |_, _| {
        let mut b = random_bytes(16)?;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = super::crypto::hex(&b);
        Ok(Value::Str(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])))
    });
    f.insert("randBytes", Exact(1), |s, a| {
        let n = usize::try_from(int_arg(&a, 0)?)
            .map_err(|_| CallError::from("runtime error: makeslice: len out of range"))?;
        s.check_size(n.saturating_mul(2))?;
        Ok(Value::Str(data_encoding::BASE64.encode(&random_bytes(n)?)))
    });
    f.insert("randInt", Exact(2), |_, a| {
        let (lo, hi) = (int_arg(&a, 0)?, int_arg(&a, 1)?);
        let span = hi.wrapping_sub(lo);
        if span <= 0 {
            return Err("invalid argument to Intn".into());
        }
        Ok(Value::Int(lo + (random_u64()? % span as u64) as i64))
    });
}

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ASCII: &[u8] =
    b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

fn random_string(s: &State<'_>, a: &[Value], alphabet: &[u8]) -> Result<Value, CallError> {
    let n = int_arg(a, 0)?;
    let Ok(n) = usize::try_from(n) else {
        return Err(format!("Requested random string length {n} is less than 0.").into());
    };
    s.check_size(n)?;
    let bytes = random_bytes(n)?;
    Ok(Value::Str(bytes.iter().map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()])).collect()))
}

/// `n` bytes from the operating system's random source.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CallError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| CallError::Msg(format!("no random source: {e}")))?;
    Ok(buf)
}

pub fn random_u64() -> Result<u64, CallError> {
    let b = random_bytes(8)?;
    Ok(b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
}
