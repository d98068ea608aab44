//! Hashes (`sha1sum`, `sha256sum`, `sha512sum`, `adler32sum`), password hashes (`bcrypt`,
//! `htpasswd`, with the `bcrypt` crate), random values (`uuidv4`, `randBytes`, and the randomness
//! behind `randAlphaNum` & co.), and the key, certificate and cipher functions, which smelt does not
//! implement: they produce fresh secrets on every render, so nothing a linter checks depends on their
//! output, and RSA key generation and X.509 signing would need a cryptography stack (and take seconds
//! per key in a debug build). A template calling one fails with a message naming the function,
//! reported on its line.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::super::exec::CallError;
use super::super::value::Value;
use super::{Arity, Funcs, int_arg, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("sha1sum", Exact(1), |_, a| Ok(Value::Str(hex(&Sha1::digest(string_arg(&a, 0)?.as_bytes())))));
    f.insert("sha256sum", Exact(1), |_, a| {
        Ok(Value::Str(hex(&Sha256::digest(string_arg(&a, 0)?.as_bytes()))))
    });
    f.insert("sha512sum", Exact(1), |_, a| {
        Ok(Value::Str(hex(&Sha512::digest(string_arg(&a, 0)?.as_bytes()))))
    });
    f.insert("adler32sum", Exact(1), |_, a| {
        let mut h = adler2::Adler32::new();
        h.write_slice(string_arg(&a, 0)?.as_bytes());
        Ok(Value::Str(h.checksum().to_string()))
    });
    f.insert("uuidv4", Exact(0), |_, _| {
        let mut b = random_bytes(16)?;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex(&b);
        Ok(Value::Str(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])))
    });
    f.insert("randBytes", Exact(1), |s, a| {
        let n = usize::try_from(int_arg(&a, 0)?)
            .map_err(|_| CallError::from("runtime error: makeslice: len out of range"))?;
        s.check_size(n.saturating_mul(2))?;
        Ok(Value::Str(data_encoding::BASE64.encode(&random_bytes(n)?)))
    });
    f.insert("bcrypt", Exact(1), |_, a| Ok(Value::Str(bcrypt_hash(string_arg(&a, 0)?))));
    f.insert("htpasswd", Exact(2), |_, a| {
        let (user, password) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        if user.contains(':') {
            return Ok(Value::Str(format!("invalid username: {user}")));
        }
        Ok(Value::Str(format!("{user}:{}", bcrypt_hash(password))))
    });
    for (name, arity) in [
        ("genPrivateKey", Exact(1)),
        ("derivePassword", Exact(5)),
        ("buildCustomCert", Exact(2)),
        ("genCA", Exact(2)),
        ("genCAWithKey", Exact(3)),
        ("genSelfSignedCert", Exact(4)),
        ("genSelfSignedCertWithKey", Exact(5)),
        ("genSignedCert", Exact(5)),
        ("genSignedCertWithKey", Exact(6)),
        ("encryptAES", Exact(2)),
        ("decryptAES", Exact(2)),
    ] {
        f.insert(name, arity, |_, _| {
            Err("smelt does not generate keys, certificates, password hashes or ciphertexts: this template \
                 was not rendered"
                .into())
        });
    }
}

/// Go's `bcrypt.GenerateFromPassword` at the default cost (10), `$2a$` form; an error becomes the
/// result text, as Sprig returns it.
fn bcrypt_hash(password: &str) -> String {
    match bcrypt::hash_with_result(password, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
