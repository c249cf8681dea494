//! The shipped clause model is what its trainer makes from the annotated set beside the
//! repository: `assets/clause-model.txt` can be rebuilt, byte for byte, by anyone with the data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

#[test]
fn the_shipped_clause_model_is_rebuilt_byte_for_byte_from_the_annotated_set() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let data = root.join("../shared/data/cuad-train");
    assert!(
        data.join("labels.csv").is_file(),
        "this test needs the annotated contracts in {} (the shared data folder beside the \
         repository, as CI has it)",
        data.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clause-model.txt");
    let status = Command::new(env!("CARGO_BIN_EXE_kodiak-train-clauses"))
        .current_dir(&root)
        .args(["--no-cv", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let rebuilt = std::fs::read_to_string(&out).unwrap();
    let shipped = std::fs::read_to_string(root.join("assets/clause-model.txt")).unwrap();
    assert!(
        rebuilt == shipped,
        "assets/clause-model.txt differs from what `kodiak-train-clauses --out \
         assets/clause-model.txt` makes now: retrain it (docs/clause-model.md)"
    );
}
