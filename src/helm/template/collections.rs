//! Go's slices and maps as template values.
//!
//! A [`Dict`] is shared by reference, as a Go map is: `set $ctx "k" v` changes the map that every other
//! reference sees (`.Values`, a variable, a map inside a list), which charts rely on (bitnami's `common`
//! helpers pass context maps around and fill them in). A [`List`] is immutable: no Sprig function changes
//! a slice in place (`append` copies).
//!
//! Both remember the Go element type they stand for (`[]string` from `splitList`, `map[string]string`
//! from `split`), which `typeOf`, `%T` and Go's argument type checks show.
//!
//! Dropping a deeply nested value is iterative, so a template that nests a list a million levels deep
//! in a loop cannot overflow the stack when the value goes away.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::{RwLock, RwLockReadGuard};

use super::value::Value;

/// The Go element type of a slice or map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Elem {
    #[default]
    Interface,
    String,
    Int,
    /// A slice of slices (`chunk`'s `[][]interface {}`).
    Slices,
    /// Helm's `.Values`: a `common.Values`, a named `map[string]interface{}` (functions taking a map
    /// accept it; `dig`'s type assertion does not).
    Values,
}

/// A Go slice: `[]interface {}` unless built by a function returning `[]string` or `[]int`.
#[derive(Clone, Debug)]
pub struct List {
    items: Arc<Vec<Value>>,
    pub elem: Elem,
}

impl List {
    pub fn new(items: Vec<Value>) -> List {
        List { items: Arc::new(items), elem: Elem::Interface }
    }

    pub fn typed(items: Vec<Value>, elem: Elem) -> List {
        List { items: Arc::new(items), elem }
    }

    pub fn type_name(&self) -> &'static str {
        match self.elem {
            Elem::Interface | Elem::Values => "[]interface {}",
            Elem::Slices => "[][]interface {}",
            Elem::String => "[]string",
            Elem::Int => "[]int",
        }
    }

    pub fn to_vec(&self) -> Vec<Value> {
        self.items.as_ref().clone()
    }

    /// The identity of the shared items (stable while any copy of this list is alive).
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.items).addr()
    }
}

impl std::ops::Deref for List {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        &self.items
    }
}

/// A Go map with string keys, iterated in sorted key order as Go's templates and printing do.
#[derive(Clone, Debug, Default)]
pub struct Dict {
    inner: Arc<RwLock<BTreeMap<String, Value>>>,
    pub elem: Elem,
}

impl Dict {
    pub fn new(entries: BTreeMap<String, Value>) -> Dict {
        Dict { inner: Arc::new(RwLock::new(entries)), elem: Elem::Interface }
    }

    pub fn typed(entries: BTreeMap<String, Value>, elem: Elem) -> Dict {
        Dict { inner: Arc::new(RwLock::new(entries)), elem }
    }

    pub fn type_name(&self) -> String {
        match self.elem {
            Elem::Interface => "map[string]interface {}".into(),
            Elem::String => "map[string]string".into(),
            Elem::Int => "map[string]int".into(),
            Elem::Slices => "map[string][]interface {}".into(),
            Elem::Values => "common.Values".into(),
        }
    }

    /// The same map seen as another Go type (what a function parameter's static type makes of it).
    pub fn retyped(&self, elem: Elem) -> Dict {
        Dict { inner: Arc::clone(&self.inner), elem }
    }

    /// Read access. Recursive, so walking a map that (as Go allows) contains itself cannot deadlock;
    /// no caller holds it across a template call, the only thing that could write to the map.
    pub fn read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Value>> {
        self.inner.read_recursive()
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.read().get(key).cloned()
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.read().contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// A copy of the entries, sorted by key.
    pub fn entries(&self) -> Vec<(String, Value)> {
        self.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// A copy of the map's contents (a new map sharing the values, as Go's map copies do).
    pub fn snapshot(&self) -> BTreeMap<String, Value> {
        self.read().clone()
    }

    /// Sets `key`; every reference to this map sees the change.
    pub fn insert(&self, key: String, value: Value) {
        self.inner.write().insert(key, value);
    }

    pub fn remove(&self, key: &str) {
        self.inner.write().remove(key);
    }

    /// Whether both are the same map (Go's map identity).
    /// The identity of the shared map (stable while any reference to it is alive).
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.inner).addr()
    }

    pub fn ptr_eq(&self, other: &Dict) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Drop for List {
    fn drop(&mut self) {
        if let Some(items) = Arc::get_mut(&mut self.items)
            && items.iter().any(is_container)
        {
            drop_iteratively(std::mem::take(items));
        }
    }
}

impl Drop for Dict {
    fn drop(&mut self) {
        if let Some(lock) = Arc::get_mut(&mut self.inner) {
            let map = lock.get_mut();
            if map.values().any(is_container) {
                drop_iteratively(std::mem::take(map).into_values().collect());
            }
        }
    }
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::Map(_))
}

/// Drops values whose last reference is here, moving their children onto a heap stack instead of
/// recursing.
fn drop_iteratively(mut stack: Vec<Value>) {
    while let Some(v) = stack.pop() {
        match v {
            Value::List(mut l) => {
                if let Some(items) = Arc::get_mut(&mut l.items) {
                    stack.append(items);
                }
            }
            Value::Map(mut d) => {
                if let Some(lock) = Arc::get_mut(&mut d.inner) {
                    let map = lock.get_mut();
                    stack.extend(std::mem::take(map).into_values());
                }
            }
            _ => {}
        }
    }
}

/// Most levels of nesting that printing, encoding, comparing and copying descend into. Real values
/// are a few dozen levels deep; a template can build deeper ones in a loop, or a map that contains
/// itself (Go allows it; printing one overflows Go's stack), and walking those recursively would
/// overflow ours.
pub const MAX_NESTING: usize = 200;

/// Most nodes one walk (compare, copy, merge, format) visits: a map shared many times over in a value
/// (`dict "a" $m "b" $m`, nested, or a map containing itself twice) has exponentially many paths.
pub const MAX_WALK: usize = 1_000_000;

/// Depth and node count of one walk over a value, against [`MAX_NESTING`] and [`MAX_WALK`].
#[derive(Default)]
pub struct Walk {
    nodes: usize,
}

impl Walk {
    /// Counts a node at `depth`; false once the walk has gone too deep or too far.
    pub fn enter(&mut self, depth: usize) -> bool {
        self.nodes += 1;
        depth <= MAX_NESTING && self.nodes <= MAX_WALK
    }
}

/// Most bytes printing or encoding one value produces before it stops: maps shared many times over
/// (`dict "a" $m "b" $m`, nested) print exponentially large, and the output limit must stop them
/// before they are built.
pub const MAX_PRINT: usize = 64 << 20;
