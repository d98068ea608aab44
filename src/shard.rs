//! `--shard K/N`: split a repository's *units* between N CI jobs so that the N runs together find
//! exactly what one full run finds.
//!
//! A unit is what the engine checks together (see `group_units` in `engine.rs`): all Terraform files
//! (`*.tf`, `*.tf.json`) of one folder form one module unit, every other file is a unit on its own.
//! Cross-file analyses never leave their unit, so a unit is never split between shards. A unit goes to
//! shard `1 + hash(key) mod N` for a stable hash (SHA-256) of its key, not by its position in the file
//! list: adding or removing a file moves no other unit.

use crate::discover::Input;
use crate::source::{Classified, FileKind};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}`: expected K/N with 1 <= K <= N, e.g. `--shard 2/3`");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the unit with this key (see [`unit_key`]) belongs to this shard.
    pub fn owns(&self, unit_key: &str) -> bool {
        shard_of(unit_key, self.count) == self.index
    }

    /// Keeps the inputs whose unit belongs to this shard.
    pub fn filter(&self, inputs: Vec<Input>) -> Vec<Input> {
        inputs.into_iter().filter(|i| self.owns(&unit_key(&i.path, i.class))).collect()
    }
}

/// The 1-based shard of `count` that a unit key goes to.
pub fn shard_of(unit_key: &str, count: u64) -> u64 {
    let digest = Sha256::digest(unit_key.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head) % count.max(1) + 1
}

/// The key of the unit a file belongs to: `module:<folder>` for a Terraform file, `file:<path>` for
/// anything else. Paths are display paths (forward slashes).
pub fn unit_key(path: &str, class: Classified) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    match class {
        Classified::Kind(FileKind::Terraform, _) => format!("module:{dir}"),
        // The variable files Terraform reads by itself set the module's values: they travel with it
        // (same shard, same cache entry), so its evaluation sees them.
        Classified::Kind(FileKind::TerraformVars, _)
            if name == "terraform.tfvars"
                || name == "terraform.tfvars.json"
                || name.ends_with(".auto.tfvars")
                || name.ends_with(".auto.tfvars.json") =>
        {
            format!("module:{dir}")
        }
        _ => format!("file:{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::classify;

    fn key(path: &str) -> String {
        unit_key(path, classify(path))
    }

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/2/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_terraform_module_is_one_unit_and_other_files_are_alone() {
        assert_eq!(key("infra/prod/main.tf"), key("infra/prod/vars.tf.json"));
        assert_eq!(key("main.tf"), "module:");
        assert_ne!(key("infra/prod/main.tf"), key("infra/prod/prod.tfvars"));
        assert_eq!(key("infra/prod/main.tf"), key("infra/prod/terraform.tfvars"));
        assert_eq!(key("infra/prod/main.tf"), key("infra/prod/b.auto.tfvars.json"));
        assert_ne!(key("k8s/a.yaml"), key("k8s/b.yaml"));
    }

    #[test]
    fn every_unit_goes_to_exactly_one_shard() {
        for i in 0..200 {
            let k = key(&format!("dir{i}/main.tf"));
            let owners: Vec<u64> = (1..=3).filter(|&n| Shard { index: n, count: 3 }.owns(&k)).collect();
            assert_eq!(owners.len(), 1, "{k}");
        }
    }

    #[test]
    fn assignment_is_stable_and_spread() {
        // Pinned: the assignment is part of the interface (CI caches and shard logs rely on it).
        assert_eq!((shard_of("module:infra/prod", 3), shard_of("module:infra/prod", 7)), (2, 3));
        assert_eq!((shard_of("file:k8s/api.yaml", 3), shard_of("file:k8s/api.yaml", 7)), (2, 5));
        let counts = (0..3000).fold([0usize; 3], |mut c, i| {
            let s = shard_of(&format!("file:k8s/app{i}.yaml"), 3);
            c[(s - 1) as usize] += 1;
            c
        });
        assert!(counts.iter().all(|&n| n > 850), "{counts:?}");
    }
}
