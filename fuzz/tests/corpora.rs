//! Every fuzz target over every file of its corpus (`fuzz/corpus/<target>/`): seeds from the
//! vectors and specs, and every input a fuzzing run ever saved (crashes become regressions).

use std::path::PathBuf;

#[test]
fn every_target_survives_its_corpus() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut report = Vec::new();
    for (name, target) in payspec_fuzz::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(
            files.len() >= 3,
            "corpus {name} has {} inputs; run scripts/fuzz-seeds.py",
            files.len()
        );
        for file in &files {
            let data = std::fs::read(file).expect("corpus file");
            target(&data);
        }
        report.push(format!("{name}: {} inputs", files.len()));
    }
    println!("{}", report.join("\n"));
}
