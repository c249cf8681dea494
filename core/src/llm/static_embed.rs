//! Fast vectors: a static embedding model distilled from the embedding model, in the manner
//! of Model2Vec. Each token of the model's vocabulary is run through the model alone
//! (`[CLS] token [SEP]`, by the worker: [`super::EmbedderWorker::embed_vocabulary`]); a text's
//! vector is then the weighted mean of its tokens' vectors, with no model run at all. That is
//! hundreds of times faster than the model on the same cores (`cargo bench --bench scale`),
//! at some loss of quality (the README's retrieval table measures it beside the model's).
//!
//! Each token's vector is centred (the vocabulary's mean vector removed: every vector the
//! model gives shares the `[CLS]` and `[SEP]` part) and weighted by the log of its rank in the
//! vocabulary (WordPiece vocabularies list frequent words first, so this weighs rare words up,
//! as inverse document frequency would). The vectors are
//! kept in 8-bit codes. The model file holds the vocabulary and the vectors (12 MB for a
//! BERT vocabulary); it is made once per embedding model and kept beside it (see
//! [`StaticEmbedder::path_for`]).
//! Tokenizing follows BERT's uncased WordPiece: lower case, accents removed, punctuation
//! split off, the longest vocabulary prefix first.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use super::{EmbedderIdentity, LlmError};

const MAGIC: &[u8; 8] = b"KODIAKSE";
const VERSION: u32 = 1;
/// BERT's tokenizer gives a word longer than this one unknown token.
const MAX_WORD_CHARS: usize = 100;
/// The phantom space a GGUF vocabulary writes before a token that starts a word.
const WORD_START: char = '\u{2581}';

/// A vocabulary token as the GGUF file lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabularyToken {
    pub text: String,
    /// A control token (`[CLS]`, `[PAD]`, `[unused0]`): never part of a text.
    pub control: bool,
}

/// The static embedding model.
pub struct StaticEmbedder {
    identity: EmbedderIdentity,
    dimensions: usize,
    /// Tokens that start a word, and pieces that continue one (BERT's `##x`), to their row.
    starts: HashMap<String, u32>,
    pieces: HashMap<String, u32>,
    /// Row `i` is token `i`'s weighted, centred vector in 8-bit codes: `scales[i]` × the
    /// codes (a quarter of the `f32` size: 11 MB for a BERT vocabulary).
    table: Table,
}

/// Rows of 8-bit codes, each with its scale.
struct Table {
    codes: Vec<i8>,
    scales: Vec<f32>,
}

impl Table {
    fn quantized(rows: &[f32], dimensions: usize) -> Table {
        let mut codes = Vec::with_capacity(rows.len());
        let mut scales = Vec::with_capacity(rows.len() / dimensions.max(1));
        for row in rows.chunks_exact(dimensions.max(1)) {
            let largest = row.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
            codes.extend(
                row.iter()
                    .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
            );
            scales.push(scale);
        }
        Table { codes, scales }
    }

    /// Adds row `row` to `sum`.
    fn add_row(&self, row: usize, sum: &mut [f32]) {
        let d = sum.len();
        let scale = self.scales[row];
        for (s, c) in sum.iter_mut().zip(&self.codes[row * d..(row + 1) * d]) {
            *s += scale * f32::from(*c);
        }
    }
}

impl StaticEmbedder {
    /// Where the fast model made from the embedding model at `model` is kept: beside it,
    /// named for it and its checksum, so that a changed model makes a new one.
    pub fn path_for(model: &Path, model_sha256: &str) -> PathBuf {
        let stem = model
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "embedder".into());
        let short: String = model_sha256.chars().take(12).collect();
        model.with_file_name(format!("{stem}.fast-{short}.kse"))
    }

    /// Builds the model from each vocabulary token's vector (the model's own output for the
    /// token alone, in vocabulary order). Control tokens get no row.
    pub fn distill(
        vocabulary: &[VocabularyToken],
        vectors: &[Vec<f32>],
        source: &EmbedderIdentity,
    ) -> Result<StaticEmbedder, LlmError> {
        let dimensions = source.dimensions;
        if vocabulary.len() != vectors.len() || vectors.iter().any(|v| v.len() != dimensions) {
            return Err(LlmError::Embed(format!(
                "cannot make fast vectors: {} tokens but {} vectors of the model's {} values",
                vocabulary.len(),
                vectors.len(),
                dimensions
            )));
        }
        let kept: Vec<(&VocabularyToken, &Vec<f32>)> = vocabulary
            .iter()
            .zip(vectors)
            .filter(|(token, vector)| !token.control && vector.iter().all(|x| x.is_finite()))
            .collect();
        let mut mean = vec![0.0f64; dimensions];
        for (_, vector) in &kept {
            for (m, x) in mean.iter_mut().zip(vector.iter()) {
                *m += f64::from(*x);
            }
        }
        let count = kept.len().max(1) as f64;
        let mean: Vec<f32> = mean.iter().map(|m| (m / count) as f32).collect();
        let mut texts = Vec::with_capacity(kept.len());
        let mut table = Vec::with_capacity(kept.len() * dimensions);
        for (rank, (token, vector)) in kept.iter().enumerate() {
            // Zipf's law: a token's frequency falls as its rank grows, so the log of the rank
            // stands for the log of its inverse frequency, as Model2Vec weighs (measured
            // against smooth inverse frequency from the rank on CUAD: 0.513 against 0.491 of
            // clause questions answered in the top 5 by these vectors alone).
            let weight = ((rank + 2) as f32).ln();
            let centred: Vec<f32> = vector.iter().zip(&mean).map(|(x, m)| x - m).collect();
            let norm = centred.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            table.extend(centred.iter().map(|x| x / norm * weight));
            texts.push(token.text.clone());
        }
        let table = Table::quantized(&table, dimensions);
        let mut embedder = StaticEmbedder::from_parts(texts, table, dimensions, source)?;
        embedder.identity.sha256 = sha256_hex(&embedder.bytes());
        Ok(embedder)
    }

    fn from_parts(
        texts: Vec<String>,
        table: Table,
        dimensions: usize,
        source: &EmbedderIdentity,
    ) -> Result<StaticEmbedder, LlmError> {
        let mut starts = HashMap::new();
        let mut pieces = HashMap::new();
        for (row, text) in texts.into_iter().enumerate() {
            let row =
                u32::try_from(row).map_err(|_| LlmError::Embed("vocabulary too big".into()))?;
            match text.strip_prefix(WORD_START) {
                Some(word) => starts.insert(word.to_owned(), row),
                None => pieces.insert(text, row),
            };
        }
        Ok(StaticEmbedder {
            identity: EmbedderIdentity {
                file_name: fast_name(&source.file_name),
                sha256: String::new(),
                dimensions,
            },
            dimensions,
            starts,
            pieces,
            table,
        })
    }

    /// Which model makes these vectors: the source model's name marked `fast`, and a
    /// checksum of the vocabulary and vectors.
    pub fn identity(&self) -> &EmbedderIdentity {
        &self.identity
    }

    /// Tokens with a vector.
    pub fn tokens(&self) -> usize {
        self.starts.len() + self.pieces.len()
    }

    /// One L2-normalised vector per text; a text with no known token gives a zero vector.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut sum = vec![0.0f32; self.dimensions];
        let mut any = false;
        for_each_token(text, |word| {
            for row in self.word_pieces(word) {
                self.table.add_row(row as usize, &mut sum);
                any = true;
            }
        });
        if !any {
            return sum;
        }
        let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            sum.iter_mut().for_each(|x| *x /= norm);
        }
        sum
    }

    /// A word's WordPiece rows: the longest known start, then the longest known pieces;
    /// none when some part of it is in no token (BERT's `[UNK]`, which carries no meaning).
    fn word_pieces(&self, word: &str) -> Vec<u32> {
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        if chars.len() > MAX_WORD_CHARS {
            return Vec::new();
        }
        let mut rows = Vec::new();
        let mut at = 0;
        while at < chars.len() {
            let from = chars[at].0;
            let found = (at + 1..=chars.len()).rev().find_map(|end| {
                let to = chars.get(end).map_or(word.len(), |c| c.0);
                let part = &word[from..to];
                let table = if at == 0 { &self.starts } else { &self.pieces };
                table.get(part).map(|row| (end, *row))
            });
            match found {
                Some((end, row)) => {
                    rows.push(row);
                    at = end;
                }
                None => return Vec::new(),
            }
        }
        rows
    }

    /// Writes the model to `path` through a temporary file beside it.
    pub fn write(&self, path: &Path) -> Result<(), LlmError> {
        let failed = |e: std::io::Error| LlmError::ModelFile {
            path: path.to_owned(),
            reason: format!("cannot write the fast vector model: {e}"),
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
        file.write_all(&self.bytes()).map_err(failed)?;
        file.as_file().sync_all().map_err(failed)?;
        file.persist(path).map_err(|e| failed(e.error))?;
        Ok(())
    }

    /// Loads a model [`StaticEmbedder::write`] wrote, for vectors that count as made by
    /// `source`'s fast model.
    pub fn load(path: &Path, source: &EmbedderIdentity) -> Result<StaticEmbedder, LlmError> {
        let bad = |reason: String| LlmError::ModelFile {
            path: path.to_owned(),
            reason,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| bad(format!("cannot read it: {e}")))?;
        let sha256 = sha256_hex(&bytes);
        let parsed = parse(&bytes);
        drop(bytes);
        let (texts, table, dimensions) = parsed.map_err(|why| {
            bad(format!(
                "it is not a fast vector model ({why}); delete it and Kodiak makes it again"
            ))
        })?;
        if dimensions != source.dimensions {
            return Err(bad(format!(
                "it has {dimensions} values per vector, the embedding model {}; delete it",
                source.dimensions
            )));
        }
        let mut embedder = StaticEmbedder::from_parts(texts, table, dimensions, source)?;
        embedder.identity.sha256 = sha256;
        Ok(embedder)
    }

    /// The file: a header, the tokens (length-prefixed UTF-8, in row order), each row's
    /// scale, then the rows' codes.
    fn bytes(&self) -> Vec<u8> {
        let mut rows: Vec<(u32, String)> = self
            .starts
            .iter()
            .map(|(t, r)| (*r, format!("{WORD_START}{t}")))
            .chain(self.pieces.iter().map(|(t, r)| (*r, t.clone())))
            .collect();
        rows.sort();
        let table = &self.table;
        let mut out = Vec::with_capacity(20 + table.codes.len() + rows.len() * 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.dimensions as u32).to_le_bytes());
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        for (_, text) in &rows {
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        for x in &table.scales {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend(table.codes.iter().map(|c| c.to_le_bytes()[0]));
        out
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The name fast vectors are stored under: the source model's, marked.
fn fast_name(source: &str) -> String {
    format!("{source} (fast)")
}

fn parse(bytes: &[u8]) -> Result<(Vec<String>, Table, usize), String> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(8)? != MAGIC {
        return Err("wrong header".into());
    }
    let version = reader.u32()?;
    if version != VERSION {
        return Err(format!("version {version}, this Kodiak reads {VERSION}"));
    }
    let dimensions = reader.u32()? as usize;
    let tokens = reader.u32()? as usize;
    let mut texts = Vec::with_capacity(tokens.min(1 << 20));
    for _ in 0..tokens {
        let len = reader.u32()? as usize;
        let text = std::str::from_utf8(reader.take(len)?).map_err(|_| "a token is not UTF-8")?;
        texts.push(text.to_owned());
    }
    let scales = reader
        .take(tokens.checked_mul(4).ok_or("a size overflows")?)?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let codes = reader
        .take(tokens.checked_mul(dimensions).ok_or("a size overflows")?)?
        .iter()
        .map(|b| i8::from_le_bytes([*b]))
        .collect();
    if reader.at != bytes.len() {
        return Err("bytes after the vectors".into());
    }
    Ok((texts, Table { codes, scales }, dimensions))
}

/// Reads a GGUF file's vocabulary (`tokenizer.ggml.tokens`, with `token_type` to tell the
/// control tokens), in token id order, without loading the model.
pub fn gguf_vocabulary(path: &Path) -> Result<Vec<VocabularyToken>, LlmError> {
    let bad = |reason: String| LlmError::ModelFile {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let (texts, types) = gguf_tokens(&bytes).map_err(|why| bad(format!("no vocabulary: {why}")))?;
    Ok(texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| VocabularyToken {
            // GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused.
            control: types.get(i).is_some_and(|t| *t != 1) || text.is_empty(),
            text,
        })
        .collect())
}

fn gguf_tokens(bytes: &[u8]) -> Result<(Vec<String>, Vec<i32>), String> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(4)? != b"GGUF" {
        return Err("not a GGUF file".into());
    }
    let version = reader.u32()?;
    if version < 2 {
        return Err(format!("GGUF version {version} is too old"));
    }
    let _tensors = reader.u64()?;
    let pairs = reader.u64()?;
    let (mut texts, mut types) = (None, None);
    for _ in 0..pairs {
        let key = reader.string()?;
        let kind = reader.u32()?;
        match (key.as_str(), kind) {
            ("tokenizer.ggml.tokens", ARRAY) => {
                let (item, count) = (reader.u32()?, reader.u64()?);
                if item != STRING {
                    return Err("tokens are not strings".into());
                }
                let mut list = Vec::with_capacity(count.min(1 << 20) as usize);
                for _ in 0..count {
                    list.push(reader.string()?);
                }
                texts = Some(list);
            }
            ("tokenizer.ggml.token_type", ARRAY) => {
                let (item, count) = (reader.u32()?, reader.u64()?);
                if item != I32 {
                    return Err("token types are not integers".into());
                }
                let mut list = Vec::with_capacity(count.min(1 << 20) as usize);
                for _ in 0..count {
                    list.push(reader.u32()? as i32);
                }
                types = Some(list);
            }
            _ => reader.skip_value(kind)?,
        }
        if texts.is_some() && types.is_some() {
            break;
        }
    }
    let texts = texts.ok_or("it lists no tokens")?;
    Ok((texts, types.unwrap_or_default()))
}

const I32: u32 = 5;
const STRING: u32 = 8;
const ARRAY: u32 = 9;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or("the file ends early")?;
        let part = &self.bytes[self.at..end];
        self.at = end;
        Ok(part)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn string(&mut self) -> Result<String, String> {
        let len = usize::try_from(self.u64()?).map_err(|_| "a string is too long")?;
        let raw = self.take(len)?;
        Ok(String::from_utf8_lossy(raw).into_owned())
    }

    /// Skips one value of GGUF type `kind`.
    fn skip_value(&mut self, kind: u32) -> Result<(), String> {
        match kind {
            0 | 1 | 7 => self.take(1).map(drop),
            2 | 3 => self.take(2).map(drop),
            4..=6 => self.take(4).map(drop),
            10..=12 => self.take(8).map(drop),
            STRING => self.string().map(drop),
            ARRAY => {
                let item = self.u32()?;
                let count = self.u64()?;
                for _ in 0..count {
                    self.skip_value(item)?;
                }
                Ok(())
            }
            other => Err(format!("unknown value type {other}")),
        }
    }
}

/// Calls `visit` with each token of `text` as BERT's uncased basic tokenizer cuts it:
/// lower case, accents removed, split at white space and around each punctuation mark and
/// CJK character, control characters dropped.
fn for_each_token(text: &str, mut visit: impl FnMut(&str)) {
    let mut word = String::new();
    let flush = |word: &mut String, visit: &mut dyn FnMut(&str)| {
        if !word.is_empty() {
            visit(word);
            word.clear();
        }
    };
    for c in text.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            flush(&mut word, &mut visit);
        } else if c.is_control() || c == '\u{fffd}' {
            continue;
        } else if is_punctuation(c) || is_cjk(c) {
            flush(&mut word, &mut visit);
            let mut one = [0u8; 4];
            visit(c.encode_utf8(&mut one));
        } else {
            word.extend(c.to_lowercase());
        }
    }
    flush(&mut word, &mut visit);
}

/// BERT's punctuation: every ASCII symbol, and Unicode punctuation.
fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(
        c,
        '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205e}' | '\u{3000}'..='\u{303f}'
            | '\u{00a1}' | '\u{00a7}' | '\u{00ab}' | '\u{00b6}' | '\u{00b7}' | '\u{00bb}'
            | '\u{00bf}'
    )
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> EmbedderIdentity {
        EmbedderIdentity {
            file_name: "mini.gguf".into(),
            sha256: "ab".repeat(32),
            dimensions: 3,
        }
    }

    fn token(text: &str) -> VocabularyToken {
        VocabularyToken {
            text: text.into(),
            control: text.starts_with('['),
        }
    }

    /// A vocabulary of GGUF tokens with a vector each, the control token's never used.
    fn model() -> StaticEmbedder {
        let vocabulary: Vec<VocabularyToken> = [
            "[CLS]", "▁the", "▁rent", "▁pay", "ing", "▁,", "▁due", "▁cafe",
        ]
        .into_iter()
        .map(token)
        .collect();
        let vectors = vec![
            vec![9.0, 9.0, 9.0],
            vec![1.0, 0.0, 0.0],
            vec![0.0, 1.0, 0.0],
            vec![0.0, 0.0, 1.0],
            vec![0.5, 0.5, 0.0],
            vec![0.2, 0.2, 0.2],
            vec![0.0, 0.8, 0.6],
            vec![0.6, 0.0, 0.8],
        ];
        StaticEmbedder::distill(&vocabulary, &vectors, &source()).unwrap()
    }

    #[test]
    fn tokens_follow_bert_uncased_wordpiece_and_unknown_words_are_left_out() {
        let model = model();
        let mut words = Vec::new();
        for_each_token("Paying  RENT, café\tdue!", |w| words.push(w.to_owned()));
        assert_eq!(words, ["paying", "rent", ",", "cafe", "due", "!"]);
        let row = |t: &str| model.starts.get(t).copied();
        assert_eq!(
            model.word_pieces("paying"),
            [row("pay").unwrap(), model.pieces["ing"]]
        );
        assert!(model.word_pieces("zebra").is_empty());
        assert!(
            model.word_pieces("ingpay").is_empty(),
            "a piece cannot start a word"
        );
        assert_eq!(model.tokens(), 7, "the control token has no row");
    }

    #[test]
    fn a_texts_vector_is_the_normalised_weighted_mean_of_its_tokens_and_nothing_known_is_zero() {
        let model = model();
        let v = model.embed("Rent due");
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        let rent = model.embed("rent");
        let due = model.embed("due");
        let mut sum = vec![0.0f32; 3];
        model.table.add_row(model.starts["rent"] as usize, &mut sum);
        model.table.add_row(model.starts["due"] as usize, &mut sum);
        let n = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
        for (x, s) in v.iter().zip(&sum) {
            assert!((x - s / n).abs() < 1e-5);
        }
        assert!(crate::llm::cosine(&v, &rent) > crate::llm::cosine(&v, &model.embed("the")));
        assert!(crate::llm::cosine(&v, &due) > 0.0);
        assert_eq!(model.embed("zebra ?? "), model.embed("zebra"));
        assert!(model.embed("zebra").iter().all(|x| *x == 0.0));
    }

    #[test]
    fn a_written_model_loads_back_the_same_and_a_damaged_one_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.kse");
        let model = model();
        model.write(&path).unwrap();
        let loaded = StaticEmbedder::load(&path, &source()).unwrap();
        assert_eq!(loaded.identity(), model.identity());
        assert_eq!(loaded.identity().file_name, "mini.gguf (fast)");
        assert_eq!(loaded.embed("paying rent"), model.embed("paying rent"));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let error = StaticEmbedder::load(&path, &source())
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("m.kse"), "{error}");
        assert!(error.contains("delete it"), "{error}");
    }

    #[test]
    fn the_gguf_reader_lists_tokens_in_order_and_marks_control_ones() {
        let mut gguf = Vec::new();
        gguf.extend_from_slice(b"GGUF");
        gguf.extend_from_slice(&3u32.to_le_bytes());
        gguf.extend_from_slice(&0u64.to_le_bytes());
        gguf.extend_from_slice(&3u64.to_le_bytes());
        let string = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        // A value of another type first, which the reader skips.
        string(&mut gguf, "general.architecture");
        gguf.extend_from_slice(&STRING.to_le_bytes());
        string(&mut gguf, "bert");
        string(&mut gguf, "tokenizer.ggml.tokens");
        gguf.extend_from_slice(&ARRAY.to_le_bytes());
        gguf.extend_from_slice(&STRING.to_le_bytes());
        gguf.extend_from_slice(&3u64.to_le_bytes());
        for t in ["[PAD]", "▁rent", "ing"] {
            string(&mut gguf, t);
        }
        string(&mut gguf, "tokenizer.ggml.token_type");
        gguf.extend_from_slice(&ARRAY.to_le_bytes());
        gguf.extend_from_slice(&I32.to_le_bytes());
        gguf.extend_from_slice(&3u64.to_le_bytes());
        for t in [3i32, 1, 1] {
            gguf.extend_from_slice(&t.to_le_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.gguf");
        std::fs::write(&path, &gguf).unwrap();
        let tokens = gguf_vocabulary(&path).unwrap();
        assert_eq!(
            tokens,
            vec![
                VocabularyToken {
                    text: "[PAD]".into(),
                    control: true
                },
                VocabularyToken {
                    text: "▁rent".into(),
                    control: false
                },
                VocabularyToken {
                    text: "ing".into(),
                    control: false
                },
            ]
        );
        std::fs::write(&path, &gguf[..40]).unwrap();
        assert!(gguf_vocabulary(&path).is_err());
    }
}
