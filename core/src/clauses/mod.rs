//! Clause detection: which sentences of a contract are a clause of a given type (governing
//! law, a cap on liability, an exclusivity obligation), learnt from contracts lawyers
//! annotated. A linear model over each sentence's words and word pairs, the heading it
//! stands under and its place in the document ([`features`]); trained by [`train`] from an
//! annotated set ([`annotated`]); shipped as a small text file ([`model`]).

pub mod annotated;
pub mod features;
pub mod model;
pub mod question;
pub mod train;
pub mod units;

use std::path::Path;
use std::sync::{Arc, LazyLock};

pub use features::Reader;
pub use model::{ClauseModel, ClauseModelError, ClauseType, Scores};

/// The model built into Kodiak: `assets/clause-model.txt`, trained on CUAD (see
/// docs/clause-model.md for its provenance, licence and how to retrain it).
const SHIPPED_MODEL: &str = include_str!("../../../assets/clause-model.txt");

static SHIPPED: LazyLock<Result<Arc<ClauseModel>, String>> = LazyLock::new(|| {
    ClauseModel::parse(SHIPPED_MODEL)
        .map(Arc::new)
        .map_err(|(line, message)| {
            format!("the built-in clause model, line {line}, is not valid: {message}")
        })
});

/// The clause model at `path`, else the one built into Kodiak.
pub fn clause_model(path: Option<&Path>) -> Result<Arc<ClauseModel>, String> {
    match path {
        Some(path) => ClauseModel::load(path)
            .map(Arc::new)
            .map_err(|e| e.to_string()),
        None => SHIPPED.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_model_knows_every_clause_the_shipped_checklists_name() {
        let model = clause_model(None).expect("the built-in model parses");
        let checklists = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/checklists");
        let mut named = 0;
        for entry in std::fs::read_dir(&checklists).expect("assets/checklists") {
            let path = entry.expect("entry").path();
            let checklist = crate::checklist::Checklist::load(&path).expect("checklist loads");
            for clause in checklist.items.iter().filter_map(|i| i.clause.as_deref()) {
                assert!(
                    model.type_index(clause).is_some(),
                    "{}: {clause}",
                    path.display()
                );
                named += 1;
            }
        }
        assert!(named >= 13, "only {named} items name a clause type");
        assert!(model.provenance.iter().any(|l| l.contains("CC BY 4.0")));
    }
}
