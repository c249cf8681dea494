//! What Kodiak and its model worker say to each other over the worker's standard input and
//! output: frames of a 4-byte little-endian length and a JSON message. JSON keeps the
//! protocol readable in a hex dump; vectors travel as base64 of their f32 bytes, exactly.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cpu::BulkPriority;
use crate::llm::prompt::PromptParts;
use crate::llm::{EmbedderIdentity, EngineSettings, GenerationEvent, ModelInfo};

/// Larger frames are refused: no message comes near it (a page of 256 chunks to embed is
/// about 1 MB), so a bigger length means the stream is not this protocol.
pub const MAX_FRAME_BYTES: usize = 64 << 20;

/// The first frame a worker reads says what it is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Start {
    pub role: Role,
    /// The `tracing` filter for what the worker writes to its standard error.
    pub log_filter: String,
    /// How many workers of this role were started before this one (the debug crash
    /// switch can be limited to the first few).
    pub earlier_starts: u32,
}

/// What a worker process does: generate or embed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Role {
    Generator(EngineSettings),
    Embedder {
        model: PathBuf,
        threads: usize,
        /// Bulk embedding's priority; queries run at normal priority.
        bulk_priority: BulkPriority,
    },
}

impl Role {
    /// The role's name, as in logs, crash reports and the crash switch.
    pub fn name(&self) -> &'static str {
        match self {
            Role::Generator(_) => "generator",
            Role::Embedder { .. } => "embedder",
        }
    }

    /// The model file the worker loads.
    pub fn model(&self) -> &PathBuf {
        match self {
            Role::Generator(settings) => &settings.model,
            Role::Embedder { model, .. } => model,
        }
    }
}

/// From Kodiak to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    Start(Start),
    Generate {
        id: u64,
        parts: PromptParts,
        max_tokens: Option<u32>,
    },
    /// Stop generation `id` at the next token; its `Done` says `cancelled`.
    Cancel {
        id: u64,
    },
    /// Interactive requests (a search query) go before the rest of a bulk one.
    Embed {
        id: u64,
        texts: Vec<String>,
        interactive: bool,
    },
    /// The model's vector for each vocabulary token from `first`, `count` of them, each
    /// alone (what fast vectors are distilled from); answered as bulk work, by `Embedded`.
    EmbedVocabulary {
        id: u64,
        first: u32,
        count: u32,
    },
}

/// From the worker to Kodiak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The model is loaded. `system_info` is llama.cpp's report of what it was built with.
    Loaded {
        model: LoadedModel,
        system_info: String,
    },
    /// The model could not be loaded; the worker exits after saying so.
    LoadFailed {
        reason: String,
    },
    Generation(GenerationEvent),
    Embedded {
        id: u64,
        vectors: Vectors,
    },
    EmbedFailed {
        id: u64,
        error: String,
    },
}

/// What a worker loaded, by role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LoadedModel {
    Generator(ModelInfo),
    Embedder(EmbedderIdentity),
}

/// Vectors of one dimension, as base64 of their little-endian f32 values in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vectors {
    pub dimensions: usize,
    pub data: String,
}

impl Vectors {
    /// Packs `vectors` of `dimensions` values each.
    pub fn encode(vectors: &[Vec<f32>], dimensions: usize) -> Vectors {
        let mut bytes = Vec::with_capacity(vectors.len() * dimensions * 4);
        for vector in vectors {
            for value in vector {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        Vectors {
            dimensions,
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// Unpacks the vectors; fails when the bytes do not divide into whole vectors.
    pub fn decode(&self) -> Result<Vec<Vec<f32>>, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.data)
            .map_err(|e| format!("bad vector data: {e}"))?;
        let row = self.dimensions * 4;
        if row == 0 || bytes.len() % row != 0 {
            return Err(format!(
                "{} bytes of vectors do not divide into rows of {} dimensions",
                bytes.len(),
                self.dimensions
            ));
        }
        Ok(bytes
            .chunks_exact(row)
            .map(|row| {
                row.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            })
            .collect())
    }
}

/// Writes one frame and flushes it.
pub fn write_frame<T: Serialize>(out: &mut impl Write, message: &T) -> io::Result<()> {
    let body = serde_json::to_vec(message).map_err(io::Error::other)?;
    let length = u32::try_from(body.len())
        .ok()
        .filter(|&n| n as usize <= MAX_FRAME_BYTES)
        .ok_or_else(|| io::Error::other(format!("a {} byte frame is too large", body.len())))?;
    out.write_all(&length.to_le_bytes())?;
    out.write_all(&body)?;
    out.flush()
}

/// Reads one frame; None at the end of the stream between frames. A stream that ends
/// inside a frame, or holds something else, is an error.
pub fn read_frame<T: DeserializeOwned>(input: &mut impl Read) -> io::Result<Option<T>> {
    let mut length = [0u8; 4];
    let mut got = 0;
    while got < length.len() {
        match input.read(&mut length[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let length = u32::from_le_bytes(length) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {length} bytes is not this protocol"),
        ));
    }
    let mut body = vec![0u8; length];
    input.read_exact(&mut body)?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{Finish, GenerationStats};

    #[test]
    fn frames_round_trip_and_end_cleanly_between_frames() {
        let messages = vec![
            FromWorker::Generation(GenerationEvent::Token {
                id: 3,
                text: "déjà vu".into(),
            }),
            FromWorker::Generation(GenerationEvent::Done {
                id: 3,
                finish: Finish::Cancelled,
                stats: GenerationStats::default(),
            }),
            FromWorker::EmbedFailed {
                id: 4,
                error: "no".into(),
            },
        ];
        let mut stream = Vec::new();
        for message in &messages {
            write_frame(&mut stream, message).unwrap();
        }
        let mut input = stream.as_slice();
        let mut read = Vec::new();
        while let Some(message) = read_frame::<FromWorker>(&mut input).unwrap() {
            read.push(message);
        }
        assert_eq!(read, messages);
    }

    #[test]
    fn a_stream_cut_inside_a_frame_or_holding_text_is_an_error() {
        let mut stream = Vec::new();
        write_frame(&mut stream, &ToWorker::Cancel { id: 9 }).unwrap();
        let cut = &stream[..stream.len() - 1];
        assert!(read_frame::<ToWorker>(&mut &cut[..]).is_err());
        assert!(read_frame::<ToWorker>(&mut &stream[..2]).is_err());
        // What a program that is not a Kodiak worker prints: its length is absurd.
        let text = b"running 12 tests\n";
        assert!(read_frame::<ToWorker>(&mut &text[..]).is_err());
    }

    #[test]
    fn vectors_cross_the_protocol_bit_for_bit() {
        let vectors = vec![
            vec![0.1f32, -0.0, f32::MIN_POSITIVE, 1.0 / 3.0],
            vec![f32::MAX, -1e-30, 0.5, 7.0],
        ];
        let decoded = Vectors::encode(&vectors, 4).decode().unwrap();
        let bits =
            |v: &Vec<Vec<f32>>| -> Vec<u32> { v.iter().flatten().map(|x| x.to_bits()).collect() };
        assert_eq!(bits(&decoded), bits(&vectors));
        let odd = Vectors {
            dimensions: 3,
            data: Vectors::encode(&vectors, 4).data,
        };
        assert!(odd.decode().is_err());
    }
}
