// Rules are embedded with include_dir; tell cargo to rebuild when a rule file changes.
fn main() {
    println!("cargo:rerun-if-changed=rules");
}
