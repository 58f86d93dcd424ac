//! Replays every saved fuzz crasher (tests/fuzz-regressions/<target>/<file>) and every seed of
//! fuzz/corpus-seed/<target>/ through the same entry point the fuzz target calls, so a fixed
//! crash stays fixed under plain `cargo test`. Targets of other layers (tls, credssp, ntlm,
//! mcs, gcc) are replayed when their entry points exist in `rdp_probe::fuzzing::TARGETS`.

use std::path::Path;

fn replay(root: &Path) -> usize {
    let mut n = 0;
    let Ok(dirs) = std::fs::read_dir(root) else { return 0 };
    for d in dirs.flatten() {
        let name = d.file_name().to_string_lossy().into_owned();
        let Some((_, f)) = rdp_probe::fuzzing::TARGETS.iter().find(|(t, _)| *t == name) else { continue };
        for file in std::fs::read_dir(d.path()).unwrap().flatten() {
            let data = std::fs::read(file.path()).unwrap();
            let r = std::panic::catch_unwind(|| f(&data));
            assert!(r.is_ok(), "{} crashes {name}", file.path().display());
            n += 1;
        }
    }
    n
}

#[test]
fn fuzz_crashers_and_seeds_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crashers = replay(&root.join("fuzz-regressions"));
    let seeds = replay(&root.join("../fuzz/corpus-seed"));
    assert!(seeds > 0, "no seed corpus found");
    eprintln!("replayed {crashers} crashers and {seeds} seeds");
}
