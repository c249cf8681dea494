//! The seam between Kodiak's ranking and the engine that finds a query's words.
//!
//! Everything after the word ranking (vectors, the clause detector, fusion, the passages
//! and their citations from SQLite) is the same whichever engine ranks the words. The
//! local Tantivy index ([`SearchIndex`]) is one engine; a search engine on the matter's
//! own network, fed from the same chunks, would be another (docs/past-one-machine.md).
//! Kodiak ships only the local one: it holds no network code.

use super::{RankedChunk, SearchError, SearchIndex, Snippets};

/// Ranks chunks by the words of a query.
///
/// An implementation ranks the chunks SQLite holds (`storage::documents::chunks_for_index`
/// gives each document's chunks as the local index is fed them) and names each by its
/// chunk and document id; a chunk it names that SQLite no longer holds is left out of the
/// results, so an engine that lags behind the database loses nothing but recency.
pub trait Retriever: Send + Sync {
    /// The `limit` chunks that best match `text`, best first; only chunks of the `scope`'s
    /// documents when it is given. Quoted parts of `text` are phrases a chunk must hold.
    fn rank(
        &self,
        text: &str,
        limit: usize,
        scope: Option<&[i64]>,
    ) -> Result<Vec<RankedChunk>, SearchError>;

    /// How to cut a hit's snippet for `text`. An engine that cannot mark the matched
    /// words returns [`Snippets::openings`].
    fn snippets(&self, text: &str) -> Result<Snippets, SearchError>;
}

impl Retriever for SearchIndex {
    fn rank(
        &self,
        text: &str,
        limit: usize,
        scope: Option<&[i64]>,
    ) -> Result<Vec<RankedChunk>, SearchError> {
        SearchIndex::rank(self, text, limit, scope)
    }

    fn snippets(&self, text: &str) -> Result<Snippets, SearchError> {
        SearchIndex::snippets(self, text)
    }
}
