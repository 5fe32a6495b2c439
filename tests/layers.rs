//! The core's dependency direction, as `src/lib.rs` states it, checked: each
//! top-level module imports only modules below it (test code aside), so no
//! import cycle can creep back in.

use std::fs;
use std::path::Path;

/// Bottom first; a module may import those on lower levels only.
const LEVELS: &[&[&str]] = &[
    &["error"],
    &["shared"],
    &["vonage"],
    &["calllog"],
    &["call"],
    &["visitor", "ops"],
    &["config"],
    &["routes", "health"],
    &["edge"],
];

fn level(module: &str) -> Option<usize> {
    LEVELS.iter().position(|l| l.contains(&module))
}

/// The module a file belongs to: `src/call/ring.rs` → `call`.
fn module_of(path: &Path, src: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong = Vec::new();
    for path in all {
        let module = module_of(&path, &src);
        let Some(own) = level(&module) else {
            continue; // lib.rs, testing.rs
        };
        let text = fs::read_to_string(&path).unwrap();
        // Test modules may reach anywhere (fixtures from config, say).
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (i, line) in code.lines().enumerate() {
            for part in line.split("crate::").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name == module {
                    continue;
                }
                match level(&name) {
                    Some(theirs) if theirs < own => {}
                    Some(_) => wrong.push(format!(
                        "{}:{}: {module} imports {name}",
                        path.display(),
                        i + 1
                    )),
                    None => {}
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}
