//! `file`, `fileexists`, `filebase64` and `templatefile`: files are read through the engine's
//! [`crate::terraform::FileReader`], which only reads inside the scanned root; anything it will not
//! read leaves the call unknown.

use super::{string_node, text};
use crate::model::{Node, Value};
use crate::parse::Limits;
use crate::span::Span;
use crate::terraform::eval::{Ctx, Ev, Fail};
use base64::Engine;

pub(super) fn read(ctx: &mut Ctx<'_>, span: Span, name: &str, args: &[Node]) -> Ev {
    let [path] = args else { return Err(Fail::Error) };
    let path = resolve(ctx, &text(Some(path))?)?;
    let reader = ctx.env.files.ok_or(Fail::Unknown)?;
    match name {
        "fileexists" => Ok(Node::new(span, Value::Bool(reader.exists(&path).ok_or(Fail::Unknown)?))),
        "filebase64" => {
            let content = reader.read(&path).ok_or(Fail::Unknown)?;
            string_node(span, base64::engine::general_purpose::STANDARD.encode(content.as_bytes()))
        }
        _ => string_node(span, reader.read(&path).ok_or(Fail::Unknown)?.to_string()),
    }
}

/// `templatefile(path, vars)`: the file read as a template in which only `vars` are in scope.
pub(super) fn templatefile(ctx: &mut Ctx<'_>, span: Span, args: &[Node], depth: usize) -> Ev {
    let [path, vars] = args else { return Err(Fail::Error) };
    let path = ctx.eval(path, depth + 1)?;
    let vars = ctx.eval(vars, depth + 1)?;
    let Value::Map(vars) = vars.value else { return Err(Fail::Error) };
    let path = resolve(ctx, &text(Some(&path))?)?;
    let reader = ctx.env.files.ok_or(Fail::Unknown)?;
    let content = reader.read(&path).ok_or(Fail::Unknown)?;
    let template = crate::parse::hcl::template(&content, span, &Limits::default()).ok_or(Fail::Error)?;
    let scopes = std::mem::replace(&mut ctx.scopes, vars.into_iter().map(|e| (e.key, e.value)).collect());
    let isolated = std::mem::replace(&mut ctx.isolated, true);
    let result = ctx.eval(&template, depth + 1);
    ctx.scopes = scopes;
    ctx.isolated = isolated;
    let value = result?;
    match value.value {
        Value::Str(_) => Ok(Node::new(span, value.value)),
        Value::Number(_) | Value::Bool(_) => string_node(span, text(Some(&value))?),
        _ => Err(Fail::Error),
    }
}

/// A path as Terraform resolves it: relative to the root module's folder (where Terraform runs).
fn resolve(ctx: &Ctx<'_>, path: &str) -> Result<String, Fail> {
    if path.starts_with('/') {
        return Ok(path.to_string());
    }
    crate::terraform::join(&ctx.env.root_dir, path).ok_or(Fail::Unknown)
}
