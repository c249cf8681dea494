//! Full-text search: a Tantivy index of chunks, derived from SQLite.
//!
//! SQLite is the truth; the index follows it through the `changes` log. Each index commit
//! carries, as its payload, the last change it reflects. Catching up re-applies every
//! document changed since: its chunks are deleted from the index by document id, then added
//! again from SQLite. That is idempotent, so a crash between the SQLite commit and the index
//! commit neither loses nor duplicates a chunk; the next writer simply catches up.

pub mod clauses;
pub mod fusion;
mod query;
mod retrieve;
mod retriever;
pub mod vectors;

pub use clauses::{ClauseHit, ClauseRanker};
pub use fusion::{Fused, FusionWeights, Rankings, fuse_vector_rankings};
pub use retrieve::{Mode, Ranked, Retrieval, SearchRequest, rank, retrieve};
pub use retriever::Retriever;
pub use vectors::{VectorHit, VectorIndex};

use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermSetQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TantivyDocument, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyError, Term};

pub use crate::citation::{Hit, page_label};
use crate::files;
use crate::storage::documents::{self, IndexedChunk};
use crate::storage::{Database, StorageError};

/// The analyser for chunk text and titles: words, lower-cased, accents folded, English
/// stems (so "terminate" finds "termination").
const ANALYZER: &str = "kodiak_en";
/// Memory the writer may buffer before it flushes a segment.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// Indexing threads at most; each gets an equal share of [`WRITER_MEMORY`], which must
/// stay above Tantivy's minimum of 15 MB per thread.
const MAX_INDEXING_THREADS: usize = 4;
/// Characters of context in a snippet.
const SNIPPET_CHARS: usize = 220;

/// Why the index could not be opened, written or searched.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(
        "another kodiak is writing to {}; wait for it to finish (a stale lock after a crash \
         can be removed: {}/.tantivy-writer.lock)",
        dir.display(),
        dir.display()
    )]
    Locked { dir: PathBuf },
    #[error("cannot prepare the search index folder {}: {source}", dir.display())]
    Prepare {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the search index in {} is unusable: {}; run `kodiak reindex` to rebuild it from the \
         database",
        dir.display(),
        short(source)
    )]
    Index { dir: PathBuf, source: TantivyError },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Tantivy's error cut to a line: a garbled `meta.json` is quoted whole in its error (some
/// kilobytes), which says nothing more to a reviewer than its first words.
fn short(error: &TantivyError) -> String {
    const MOST: usize = 160;
    let text = error.to_string();
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None if line.len() < text.len() => format!("{line}…"),
        None => line.to_owned(),
    }
}

impl From<rusqlite::Error> for SearchError {
    fn from(e: rusqlite::Error) -> SearchError {
        SearchError::Storage(StorageError::from(e))
    }
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    chunk_id: Field,
    doc_id: Field,
    title: Field,
    path: Field,
    page: Field,
    text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analysed = |record| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(record),
        )
    };
    let fields = Fields {
        // Only what queries use is indexed: documents are deleted (and will be filtered) by
        // id; chunk ids and paths are only shown.
        chunk_id: builder.add_u64_field("chunk_id", STORED),
        doc_id: builder.add_u64_field("doc_id", INDEXED | STORED | FAST),
        // Titles are matched word by word, never as phrases: no positions needed.
        title: builder.add_text_field("title", analysed(IndexRecordOption::WithFreqs).set_stored()),
        path: builder.add_text_field("path", STORED),
        page: builder.add_u64_field("page", STORED),
        // Not stored: SQLite holds the text, and snippets are cut from it. Storing it twice
        // cost a fifth of indexing time in compression and merges.
        text: builder.add_text_field("text", analysed(IndexRecordOption::WithFreqsAndPositions)),
    };
    (builder.build(), fields)
}

/// A chunk BM25 ranked, before its snippet is cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankedChunk {
    pub chunk_id: i64,
    pub doc_id: i64,
    pub score: f32,
}

/// Cuts snippets for one query: the passage of a chunk where its terms are densest.
pub struct Snippets(Option<SnippetGenerator>);

impl Snippets {
    /// Snippets of a chunk's opening words, for a retriever that cannot mark matches.
    pub fn openings() -> Snippets {
        Snippets(None)
    }

    /// A snippet of `chunk_text` with matched terms in `**`; its opening words when no
    /// term matches (a chunk found by meaning alone).
    pub fn cut(&self, chunk_text: &str) -> String {
        if let Some(generator) = &self.0 {
            let snippet = generator.snippet(chunk_text);
            if !snippet.highlighted().is_empty() {
                return query::mark(snippet.fragment(), snippet.highlighted());
            }
        }
        opening(chunk_text, SNIPPET_CHARS)
    }
}

/// The first words of `text` up to about `chars` characters, on one line.
fn opening(text: &str, chars: usize) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if !out.is_empty() && out.chars().count() + word.chars().count() >= chars {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// What catching up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    pub documents: usize,
    pub chunks: usize,
}

/// The index on disk, open for searching.
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// The commit (Tantivy's opstamp) the reader was last reloaded at.
    reader_opstamp: std::sync::atomic::AtomicU64,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when absent.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        files::create_private_dir(dir).map_err(|source| SearchError::Prepare {
            dir: dir.to_owned(),
            source,
        })?;
        let unusable = |source| SearchError::Index {
            dir: dir.to_owned(),
            source,
        };
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(dir).map_err(|e| unusable(e.into()))?;
        let create = |directory: MmapDirectory| {
            Index::create(directory, schema.clone(), IndexSettings::default()).map_err(unusable)
        };
        let index = if Index::exists(&directory).map_err(|e| unusable(e.into()))? {
            let index = Index::open(directory.clone()).map_err(unusable)?;
            if index.schema() == schema {
                index
            } else {
                // Written by another version of Kodiak. The index is derived from SQLite,
                // so it starts afresh and the next catch-up rebuilds it.
                tracing::warn!(dir = %dir.display(), "the search index has another layout; rebuilding it");
                drop(index);
                clear_dir(dir).map_err(|source| SearchError::Prepare {
                    dir: dir.to_owned(),
                    source,
                })?;
                create(directory)?
            }
        } else {
            create(directory)?
        };
        index
            .tokenizers()
            .register(ANALYZER, crate::text::analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(unusable)?;
        let reader_opstamp = index.load_metas().map_err(unusable)?.opstamp.into();
        Ok(SearchIndex {
            dir: dir.to_owned(),
            index,
            reader,
            fields,
            reader_opstamp,
        })
    }

    /// Starts the index afresh in `dir`, whatever the folder holds (a removed or truncated
    /// segment, a garbled `meta.json`, another layout): `kodiak reindex` then rebuilds it
    /// from SQLite. Refused while another process writes to it, as Tantivy's own writer
    /// lock says.
    pub fn recreate(dir: &Path) -> Result<SearchIndex, SearchError> {
        let prepare = |source| SearchError::Prepare {
            dir: dir.to_owned(),
            source,
        };
        files::create_private_dir(dir).map_err(prepare)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(WRITER_LOCK_FILE))
            .map_err(prepare)?;
        // An advisory lock (flock) on the file, the kind Tantivy takes for its writer.
        let locked = lock.try_lock().is_ok();
        if !locked {
            return Err(SearchError::Locked {
                dir: dir.to_owned(),
            });
        }
        tracing::warn!(dir = %dir.display(), "starting the search index afresh");
        clear_dir_except(dir, WRITER_LOCK_FILE).map_err(prepare)?;
        // Closing the file releases the lock, for the writer the rebuild takes.
        drop(lock);
        SearchIndex::open(dir)
    }

    /// The index's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn unusable(&self, source: TantivyError) -> SearchError {
        SearchError::Index {
            dir: self.dir.clone(),
            source,
        }
    }

    /// The last SQLite change the index reflects; None for an index never committed.
    pub fn applied_change(&self) -> Result<Option<i64>, SearchError> {
        let metas = self.index.load_metas().map_err(|e| self.unusable(e))?;
        Ok(metas.payload.and_then(|p| p.trim().parse().ok()))
    }

    /// Reloads the reader when another process committed to the index since it was last
    /// loaded (its own commits reload it at once), so searches see what that process
    /// added. Reads the index's small meta file; returns the last SQLite change the index
    /// reflects.
    pub fn follow_commits(&self) -> Result<Option<i64>, SearchError> {
        use std::sync::atomic::Ordering;
        let metas = self.index.load_metas().map_err(|e| self.unusable(e))?;
        if self.reader_opstamp.swap(metas.opstamp, Ordering::AcqRel) != metas.opstamp {
            self.reader.reload().map_err(|e| self.unusable(e))?;
        }
        Ok(metas.payload.and_then(|p| p.trim().parse().ok()))
    }

    /// Whether SQLite holds changes the index does not reflect yet.
    pub fn is_behind(&self, db: &Database) -> Result<bool, SearchError> {
        let conn = db.conn()?;
        Ok(match self.applied_change()? {
            Some(applied) => applied < documents::last_change(&conn)?,
            // Never committed (new, or started afresh): behind if there is anything to
            // index. (The change log is trimmed once applied, so it may be empty.)
            None => documents::any(&conn)?,
        })
    }

    /// Takes the index's single writer. Another process holding it is an error at once,
    /// not a wait.
    pub fn writer(&self) -> Result<IndexUpdater<'_>, SearchError> {
        match self
            .index
            .writer_with_num_threads::<TantivyDocument>(indexing_threads(), WRITER_MEMORY)
        {
            Ok(writer) => Ok(IndexUpdater {
                index: self,
                writer,
                fed: None,
            }),
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => Err(SearchError::Locked {
                dir: self.dir.clone(),
            }),
            Err(e) => Err(self.unusable(e)),
        }
    }

    /// Chunks in the index (as of the last reload).
    /// Documents with chunks in the index.
    pub fn document_count(&self) -> usize {
        let searcher = self.reader.searcher();
        let mut documents = std::collections::HashSet::new();
        for segment in searcher.segment_readers() {
            let Ok(ids) = segment.fast_fields().u64("doc_id") else {
                continue;
            };
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    documents.extend(ids.first(doc));
                }
            }
        }
        documents.len()
    }

    /// Chunks in the index.
    pub fn chunk_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The best `limit` chunks for `text` by BM25, best first; only chunks of the `scope`
    /// documents when it is given. Any text is a valid query: quoted parts must appear as
    /// phrases, the rest is matched word by word, with a bonus where the words appear
    /// together in order.
    pub fn rank(
        &self,
        text: &str,
        limit: usize,
        scope: Option<&[i64]>,
    ) -> Result<Vec<RankedChunk>, SearchError> {
        let Some(query) = self.query(text)? else {
            return Ok(Vec::new());
        };
        let query: Box<dyn Query> = match scope {
            None => query,
            Some(documents) => {
                let terms = documents
                    .iter()
                    .map(|id| Term::from_field_u64(self.fields.doc_id, *id as u64));
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, query),
                    // A zero boost filters without changing the scores.
                    (
                        Occur::Must,
                        Box::new(BoostQuery::new(Box::new(TermSetQuery::new(terms)), 0.0)),
                    ),
                ]))
            }
        };
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&*query, &TopDocs::with_limit(limit.max(1)).order_by_score())
            .map_err(|e| self.unusable(e))?;
        let mut ranked = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| self.unusable(e))?;
            let id_of = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0) as i64;
            ranked.push(RankedChunk {
                chunk_id: id_of(self.fields.chunk_id),
                doc_id: id_of(self.fields.doc_id),
                score,
            });
        }
        Ok(ranked)
    }

    /// The documents whose chunks hold any of `words` (as the index holds them: lower-cased,
    /// folded, stemmed).
    pub fn documents_with(
        &self,
        words: &[String],
    ) -> Result<std::collections::HashSet<i64>, SearchError> {
        let mut found = std::collections::HashSet::new();
        if words.is_empty() {
            return Ok(found);
        }
        let terms = words
            .iter()
            .map(|w| Term::from_field_text(self.fields.text, w));
        let query = TermSetQuery::new(terms);
        let searcher = self.reader.searcher();
        let chunks = searcher
            .search(&query, &tantivy::collector::DocSetCollector)
            .map_err(|e| self.unusable(e))?;
        let mut columns = std::collections::HashMap::new();
        for address in chunks {
            let column = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(c) => c.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(
                    searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .u64("doc_id")
                        .map_err(|e| self.unusable(e))?,
                ),
            };
            if let Some(doc) = column.first(address.doc_id) {
                found.insert(doc as i64);
            }
        }
        Ok(found)
    }

    /// The words of the index (as it holds them) that start with `start`.
    pub fn words_starting(&self, start: &str) -> Result<Vec<String>, SearchError> {
        let searcher = self.reader.searcher();
        let mut words = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let index = segment
                .inverted_index(self.fields.text)
                .map_err(|e| self.unusable(e))?;
            let mut stream = index
                .terms()
                .range()
                .ge(start.as_bytes())
                .into_stream()
                .map_err(|e| self.unusable(e.into()))?;
            while stream.advance() {
                let Ok(word) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if !word.starts_with(start) {
                    break;
                }
                words.insert(word.to_owned());
            }
        }
        Ok(words.into_iter().collect())
    }

    /// The snippet cutter for `text`'s terms.
    pub fn snippets(&self, text: &str) -> Result<Snippets, SearchError> {
        let Some(query) = self.query(text)? else {
            return Ok(Snippets(None));
        };
        let searcher = self.reader.searcher();
        let mut generator = SnippetGenerator::create(&searcher, &*query, self.fields.text)
            .map_err(|e| self.unusable(e))?;
        generator.set_max_num_chars(SNIPPET_CHARS);
        Ok(Snippets(Some(generator)))
    }

    fn query(&self, text: &str) -> Result<Option<Box<dyn Query>>, SearchError> {
        let analyzer = self
            .index
            .tokenizers()
            .get(ANALYZER)
            .ok_or_else(|| self.unusable(TantivyError::SystemError("no analyser".into())))?;
        Ok(query::build(
            text,
            analyzer,
            self.fields.text,
            self.fields.title,
        ))
    }
}

/// Tantivy's writer lock, which must outlive a clearing of the folder.
const WRITER_LOCK_FILE: &str = ".tantivy-writer.lock";

/// Removes everything inside `dir`, keeping the folder itself (and its permissions).
fn clear_dir(dir: &Path) -> std::io::Result<()> {
    clear_dir_except(dir, "")
}

/// Removes everything inside `dir` but the file named `keep`.
fn clear_dir_except(dir: &Path, keep: &str) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !keep.is_empty() && entry.file_name() == keep {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// One indexing thread per core, up to [`MAX_INDEXING_THREADS`]: indexing is the most
/// expensive step of ingest, and it overlaps with extraction.
fn indexing_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_INDEXING_THREADS)
}

/// The index's one writer, held for as long as this value lives.
pub struct IndexUpdater<'a> {
    index: &'a SearchIndex,
    writer: IndexWriter<TantivyDocument>,
    /// The newest change added to the writer but not committed yet.
    fed: Option<i64>,
}

impl IndexUpdater<'_> {
    /// Re-applies every document changed in SQLite since the index's last commit, then
    /// commits with the newest change as payload. An index that was never committed (new, or
    /// deleted by hand) is rebuilt whole.
    pub fn sync(&mut self, db: &Database) -> Result<SyncStats, SearchError> {
        if self.fed.is_none() && self.index.applied_change()?.is_none() {
            return self.rebuild(db);
        }
        let stats = self.feed(db)?;
        self.commit_fed(db)?;
        Ok(stats)
    }

    /// Hands the writer every document changed since what it last saw, without committing:
    /// indexing proceeds on the writer's own threads while the caller goes on. Nothing fed is
    /// searchable, or durable, before [`IndexUpdater::sync`] commits it; a crash before then
    /// is repaired by the next sync, as the change log still holds it.
    pub fn feed(&mut self, db: &Database) -> Result<SyncStats, SearchError> {
        let since = match self.fed {
            Some(fed) => fed,
            None => self.index.applied_change()?.unwrap_or(0),
        };
        let conn = db.conn()?;
        let (changed, newest) = documents::changed_since(&conn, since)?;
        let mut stats = SyncStats::default();
        for document_id in changed {
            // A delete only reaches documents added before it, so re-adding is safe even
            // for a document fed moments ago.
            self.writer.delete_term(Term::from_field_u64(
                self.index.fields.doc_id,
                document_id as u64,
            ));
            stats.chunks += self.add(&documents::chunks_for_index(&conn, document_id)?)?;
            stats.documents += 1;
        }
        if newest > since {
            self.fed = Some(newest);
        }
        Ok(stats)
    }

    /// Commits what was fed, then forgets the changes the index now reflects.
    fn commit_fed(&mut self, db: &Database) -> Result<(), SearchError> {
        let Some(newest) = self.fed else {
            return Ok(());
        };
        self.commit(newest)?;
        self.fed = None;
        db.write(|tx| {
            tx.execute("DELETE FROM changes WHERE seq <= ?1", [newest])?;
            Ok::<_, SearchError>(())
        })
    }

    /// Empties the index and fills it again from SQLite.
    pub fn rebuild(&mut self, db: &Database) -> Result<SyncStats, SearchError> {
        self.writer
            .delete_all_documents()
            .map_err(|e| self.index.unusable(e))?;
        let conn = db.conn()?;
        let newest = documents::last_change(&conn)?;
        let mut stats = SyncStats::default();
        for document_id in documents::indexed_document_ids(&conn)? {
            stats.chunks += self.add(&documents::chunks_for_index(&conn, document_id)?)?;
            stats.documents += 1;
        }
        drop(conn);
        self.fed = Some(newest);
        self.commit_fed(db)?;
        Ok(stats)
    }

    fn add(&mut self, chunks: &[IndexedChunk]) -> Result<usize, SearchError> {
        let f = self.index.fields;
        for chunk in chunks {
            let mut doc = TantivyDocument::default();
            doc.add_u64(f.chunk_id, chunk.chunk_id as u64);
            doc.add_u64(f.doc_id, chunk.document_id as u64);
            doc.add_text(f.title, &chunk.title);
            doc.add_text(f.path, &chunk.path);
            doc.add_u64(f.page, chunk.page as u64);
            doc.add_text(f.text, &chunk.text);
            self.writer
                .add_document(doc)
                .map_err(|e| self.index.unusable(e))?;
        }
        Ok(chunks.len())
    }

    fn commit(&mut self, newest_change: i64) -> Result<(), SearchError> {
        let mut prepared = self
            .writer
            .prepare_commit()
            .map_err(|e| self.index.unusable(e))?;
        prepared.set_payload(&newest_change.to_string());
        let opstamp = prepared.commit().map_err(|e| self.index.unusable(e))?;
        self.index
            .reader_opstamp
            .store(opstamp, std::sync::atomic::Ordering::Release);
        self.index
            .reader
            .reload()
            .map_err(|e| self.index.unusable(e))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_document_without_a_title_is_called_by_its_file_name_not_its_folders() {
        let mut hit = crate::answer::tests::source(1, "text").hit;
        assert_eq!(hit.label(), "Doc 1");
        hit.title.clear();
        assert_eq!(hit.label(), "1.txt");
        hit.path = "/cases/2026/mail/supplier-dispute.eml ▸ chronology.txt".into();
        assert_eq!(hit.label(), "supplier-dispute.eml ▸ chronology.txt");
        hit.path = "notes.txt".into();
        assert_eq!(hit.label(), "notes.txt");
    }
}
