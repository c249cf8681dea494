//! The clause model: per clause type, a logistic regression over a sentence's features,
//! kept in a small text file (a line per type with its intercept, weight scale and the two
//! thresholds; a line per feature with its weights as 8-bit integers). Reading a document
//! scores every sentence for every type at once: each feature is looked up once.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::features::{FeatureSink, ReadDocument, Reader, key};

/// The first line of a model file.
const MAGIC: &str = "kodiak-clause-model 1";

/// One clause type the model knows.
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseType {
    /// `governing_law`, `cap_on_liability`.
    pub id: String,
    /// The intercept of its regression.
    pub bias: f32,
    /// What one step of its 8-bit weights is worth.
    pub scale: f32,
    /// A document whose best sentence scores this much or more has the clause.
    pub found: f32,
    /// Below this, the clause is absent; between the two, a reviewer should look.
    pub unsure: f32,
    /// Annotated contracts it was trained on, and how many of them had the clause.
    pub trained_on: usize,
    pub positives: usize,
}

/// A trained clause model.
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseModel {
    pub types: Vec<ClauseType>,
    /// Comment lines of the file: where the model came from, its licence.
    pub provenance: Vec<String>,
    /// Feature key to its range of `weights`.
    rows: FxHashMap<u64, (u32, u32)>,
    /// (type, weight in steps of the type's scale), per feature in turn.
    weights: Vec<(u16, i8)>,
    /// Feature names, in the order of the file: written back as read.
    names: Vec<String>,
}

/// Why a model file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClauseModelError {
    #[error("cannot read the clause model {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the clause model {}, line {line}, is not valid: {message}; retrain it with `kodiak-train-clauses`", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// A feature's weights before quantization: (type, weight).
pub type FeatureWeights = Vec<(usize, f32)>;

impl ClauseModel {
    /// A model from trained weights, quantized to 8 bits per type. Features whose weights
    /// all round to zero are left out.
    pub fn quantized(
        types: Vec<ClauseType>,
        features: Vec<(String, FeatureWeights)>,
        provenance: Vec<String>,
    ) -> ClauseModel {
        let mut types = types;
        let mut largest = vec![0f32; types.len()];
        for (_, weights) in &features {
            for &(t, w) in weights {
                largest[t] = largest[t].max(w.abs());
            }
        }
        for (t, kind) in types.iter_mut().enumerate() {
            kind.scale = if largest[t] > 0.0 {
                largest[t] / 127.0
            } else {
                1.0
            };
        }
        let mut model = ClauseModel {
            types,
            provenance,
            rows: FxHashMap::default(),
            weights: Vec::new(),
            names: Vec::new(),
        };
        for (name, weights) in features {
            let quantized: Vec<(u16, i8)> = weights
                .into_iter()
                .filter_map(|(t, w)| {
                    let q = (w / model.types[t].scale).round().clamp(-127.0, 127.0) as i8;
                    (q != 0).then_some((t as u16, q))
                })
                .collect();
            model.push_row(name, quantized);
        }
        model
    }

    fn push_row(&mut self, name: String, row: Vec<(u16, i8)>) {
        if row.is_empty() {
            return;
        }
        let start = self.weights.len() as u32;
        self.weights.extend(row);
        self.rows
            .insert(key(&[&name]), (start, self.weights.len() as u32));
        self.names.push(name);
    }

    /// The index of type `id`.
    pub fn type_index(&self, id: &str) -> Option<usize> {
        self.types.iter().position(|t| t.id == id)
    }

    /// Features with a weight.
    pub fn feature_count(&self) -> usize {
        self.names.len()
    }

    /// Reads `text` and scores each of its sentences for every type.
    pub fn read(&self, reader: &mut Reader, text: &str) -> Scores {
        let document = reader.read(text);
        let n = self.types.len();
        let mut logits = vec![0f32; document.units.len() * n];
        let mut steps = vec![0i32; n];
        for (i, unit) in document.units.iter().enumerate() {
            if unit.heading {
                continue;
            }
            steps.iter_mut().for_each(|s| *s = 0);
            let mut sum = Sum {
                model: self,
                steps: &mut steps,
            };
            document.features(i, &mut sum);
            for (t, kind) in self.types.iter().enumerate() {
                logits[i * n + t] = kind.bias + steps[t] as f32 * kind.scale;
            }
        }
        Scores {
            document,
            logits,
            types: n,
        }
    }

    /// The model as its file's text.
    pub fn to_text(&self) -> String {
        let mut out = format!("{MAGIC}\n");
        for line in &self.provenance {
            let _ = writeln!(out, "# {line}");
        }
        for t in &self.types {
            let _ = writeln!(
                out,
                "type {} {} {} {} {} {} {}",
                t.id, t.bias, t.scale, t.found, t.unsure, t.trained_on, t.positives
            );
        }
        for name in &self.names {
            let Some(&(start, end)) = self.rows.get(&key(&[name])) else {
                continue;
            };
            let _ = write!(out, "f {name}");
            for &(t, q) in &self.weights[start as usize..end as usize] {
                let _ = write!(out, " {t}:{q}");
            }
            out.push('\n');
        }
        out
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<ClauseModel, ClauseModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClauseModelError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ClauseModel::parse(&text).map_err(|(line, message)| ClauseModelError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        })
    }

    /// Parses a model file's text; an error is its line number and what is wrong.
    pub fn parse(text: &str) -> Result<ClauseModel, (usize, String)> {
        let mut lines = text.lines().enumerate().map(|(n, l)| (n + 1, l));
        match lines.next() {
            Some((_, first)) if first.trim() == MAGIC => {}
            _ => return Err((1, format!("the first line is not `{MAGIC}`"))),
        }
        let mut model = ClauseModel {
            types: Vec::new(),
            provenance: Vec::new(),
            rows: FxHashMap::default(),
            weights: Vec::new(),
            names: Vec::new(),
        };
        for (n, line) in lines {
            let mut fields = line.split_whitespace();
            match fields.next() {
                None => {}
                Some("#") => {
                    let comment = line.trim_start().trim_start_matches('#');
                    model
                        .provenance
                        .push(comment.strip_prefix(' ').unwrap_or(comment).to_owned());
                }
                Some("type") => {
                    let values: Vec<&str> = fields.collect();
                    let [id, bias, scale, found, unsure, trained_on, positives] = values[..] else {
                        return Err((n, "a type line has 7 fields".into()));
                    };
                    let float = |v: &str| {
                        v.parse::<f32>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .ok_or((n, format!("{v:?} is not a number")))
                    };
                    let count = |v: &str| {
                        v.parse::<usize>()
                            .map_err(|_| (n, format!("{v:?} is not a count")))
                    };
                    model.types.push(ClauseType {
                        id: id.to_owned(),
                        bias: float(bias)?,
                        scale: float(scale)?,
                        found: float(found)?,
                        unsure: float(unsure)?,
                        trained_on: count(trained_on)?,
                        positives: count(positives)?,
                    });
                }
                Some("f") => {
                    let name = fields
                        .next()
                        .ok_or((n, "a feature line has no name".to_owned()))?;
                    let mut row = Vec::new();
                    for pair in fields {
                        let parsed = pair.split_once(':').and_then(|(t, q)| {
                            Some((t.parse::<u16>().ok()?, q.parse::<i8>().ok()?))
                        });
                        match parsed {
                            Some((t, q)) if (t as usize) < model.types.len() => row.push((t, q)),
                            _ => return Err((n, format!("{pair:?} is not type:weight"))),
                        }
                    }
                    model.push_row(name.to_owned(), row);
                }
                Some(other) => return Err((n, format!("unknown line kind {other:?}"))),
            }
        }
        if model.types.is_empty() {
            return Err((1, "the model has no types".into()));
        }
        Ok(model)
    }
}

/// Adds a sentence's weights, feature by feature.
struct Sum<'m> {
    model: &'m ClauseModel,
    steps: &'m mut [i32],
}

impl FeatureSink for Sum<'_> {
    fn feature(&mut self, parts: &[&str]) {
        if let Some(&(start, end)) = self.model.rows.get(&key(parts)) {
            for &(t, q) in &self.model.weights[start as usize..end as usize] {
                self.steps[t as usize] += i32::from(q);
            }
        }
    }
}

/// A document's sentences, scored for every type.
pub struct Scores {
    pub document: ReadDocument,
    /// Per unit, per type, the regression's logit (0 for headings, which are not scored).
    logits: Vec<f32>,
    types: usize,
}

impl Scores {
    /// The probability that unit `i` is a clause of type `t`.
    pub fn probability(&self, i: usize, t: usize) -> f32 {
        sigmoid(self.logits[i * self.types + t])
    }

    /// The statements most likely to be a clause of type `t`, best first, with their
    /// probabilities.
    pub fn ranked(&self, t: usize, limit: usize) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> = self
            .document
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| !u.heading)
            .map(|(i, _)| (i, self.probability(i, t)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
    }

    /// The statement most likely to be a clause of type `t`.
    pub fn best(&self, t: usize) -> Option<(usize, f32)> {
        let n = self.types;
        self.document
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| !u.heading)
            .map(|(i, _)| (i, self.logits[i * n + t]))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(i, logit)| (i, sigmoid(logit)))
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(id: &str, bias: f32) -> ClauseType {
        ClauseType {
            id: id.into(),
            bias,
            scale: 1.0,
            found: 0.5,
            unsure: 0.2,
            trained_on: 10,
            positives: 4,
        }
    }

    #[test]
    fn a_model_scores_statements_by_their_features_and_never_a_heading() {
        let model = ClauseModel::quantized(
            vec![kind("governing_law", -4.0), kind("insurance", -4.0)],
            vec![
                ("b:law_of".into(), vec![(0, 3.0)]),
                ("h:govern".into(), vec![(0, 2.0)]),
                ("w:insur".into(), vec![(1, 6.0), (0, -1.0)]),
            ],
            vec!["test model".into()],
        );
        let text = "Governing Law.\n\nThis Agreement follows the laws of Ohio. \
                    The Supplier keeps insurance.";
        let scores = model.read(&mut Reader::new(), text);
        let (law, p_law) = scores.best(0).unwrap();
        assert_eq!(law, 1, "the sentence under the heading, not the heading");
        assert!((p_law - sigmoid(1.0)).abs() < 0.02, "{p_law}");
        assert_eq!(scores.best(1).unwrap().0, 2);
        assert_eq!(scores.ranked(0, 5).len(), 2, "the heading is not ranked");
    }

    #[test]
    fn a_model_file_reads_back_as_written_and_a_bad_line_is_named() {
        let model = ClauseModel::quantized(
            vec![kind("parties", -2.5)],
            vec![
                ("w:between".into(), vec![(0, 1.5)]),
                ("w:zero".into(), vec![(0, 0.001)]),
            ],
            vec!["Trained on a set; CC BY 4.0".into()],
        );
        assert_eq!(
            model.feature_count(),
            1,
            "a weight rounding to zero is dropped"
        );
        let text = model.to_text();
        let back = ClauseModel::parse(&text).unwrap();
        assert_eq!(back, model);
        assert_eq!(back.to_text(), text);
        let broken = text.replace("0:127", "0:x");
        let (line, message) = ClauseModel::parse(&broken).unwrap_err();
        assert_eq!(line, 4, "{message}");
        assert!(message.contains("type:weight"), "{message}");
        assert!(ClauseModel::parse("weights\n").is_err());
    }
}
