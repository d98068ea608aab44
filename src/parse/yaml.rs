//! Placeholder being replaced by a helper; do not edit.
use crate::model::ParsedFile;
use super::Limits;
pub fn parse(_text: &str, _limits: &Limits) -> ParsedFile { ParsedFile::default() }
