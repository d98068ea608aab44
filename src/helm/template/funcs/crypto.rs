//! Hashes (`sha1sum`, `sha256sum`, `sha512sum`, `adler32sum`), password hashes (`bcrypt`,
//! `htpasswd`, with the `bcrypt` crate), and the key, certificate and cipher functions, which smelt
//! does not implement: they produce fresh secrets on every render, so nothing a linter checks depends on their
//! output, and RSA key generation and X.509 signing would need a cryptography stack (and take seconds
//! per key in a debug build). A template calling one fails with a message naming the function,
//! reported on its line.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::super::value::Value;
use super::{Arity, Funcs, string_arg};

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

pub fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}
