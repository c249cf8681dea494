//! OCR of scanned PDF pages and images, offline, with Tesseract (the `tesseract` command)
//! and Poppler's `pdftoppm` to render PDF pages. Both run as child processes: they are
//! native code meeting hostile files, so a crash or a runaway page costs that page, not
//! Kodiak; each has a time limit per page and is killed past it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::config::{IngestConfig, OcrMode};

/// The Debian packages that provide what OCR needs.
pub const PACKAGES: &str = "tesseract-ocr tesseract-ocr-eng poppler-utils";

/// One OCR'd page: its text and Tesseract's mean word confidence (0-100).
#[derive(Debug, Clone, PartialEq)]
pub struct OcrPage {
    pub text: String,
    pub confidence: f32,
}

/// Why OCR could not read a page or an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcrError {
    #[error("OCR is off ([ingest] ocr = \"off\")")]
    Off,
    #[error("OCR is not available: {0}")]
    Unavailable(String),
    #[error("OCR timed out after {0} s on a page ([ingest] ocr_page_timeout_secs)")]
    TimedOut(u64),
    #[error("OCR failed: {0}")]
    Failed(String),
}

/// What OCR has on this machine: Tesseract's version and its languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrTools {
    pub tesseract_version: String,
    pub languages: Vec<String>,
}

/// Finds Tesseract and pdftoppm, once per process: their version, Tesseract's languages.
pub fn tools() -> Result<&'static OcrTools, String> {
    static TOOLS: OnceLock<Result<OcrTools, String>> = OnceLock::new();
    TOOLS.get_or_init(find_tools).as_ref().map_err(Clone::clone)
}

fn find_tools() -> Result<OcrTools, String> {
    let missing =
        |what: &str| format!("{what} is not installed (Debian: apt-get install {PACKAGES})");
    let version = Command::new("tesseract")
        .arg("--version")
        .output()
        .map_err(|_| missing("tesseract"))?;
    // Tesseract 4 printed its version on stderr, 5 on stdout.
    let printed = [version.stdout, version.stderr].concat();
    let tesseract_version = String::from_utf8_lossy(&printed)
        .lines()
        .next()
        .map(|line| line.trim().trim_start_matches("tesseract ").to_owned())
        .unwrap_or_default();
    Command::new("pdftoppm")
        .arg("-v")
        .output()
        .map_err(|_| missing("pdftoppm (poppler-utils)"))?;
    let listed = Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .map_err(|e| format!("tesseract --list-langs: {e}"))?;
    let languages = String::from_utf8_lossy(&[listed.stdout, listed.stderr].concat())
        .lines()
        .skip_while(|line| !line.starts_with("List of"))
        .skip(1)
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect();
    Ok(OcrTools {
        tesseract_version,
        languages,
    })
}

/// How to OCR, from `[ingest]`, and how many pages may be read at once.
#[derive(Debug)]
pub struct Ocr {
    languages: String,
    dpi: u32,
    page_timeout: Duration,
    slots: Slots,
}

/// A counting semaphore: pages of one scan are read in parallel, and ingest's workers
/// read several files at once, but no more OCR processes run than there are cores.
#[derive(Debug)]
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn new(count: usize) -> Slots {
        Slots {
            free: Mutex::new(count.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Runs `f` once a slot is free.
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            while *free == 0 {
                free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
            }
            *free -= 1;
        }
        let result = f();
        *self.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.freed.notify_one();
        result
    }
}

impl Ocr {
    /// The OCR `[ingest]` asks for, or why there is none: off, Tesseract or pdftoppm
    /// missing, or a language whose data is not installed.
    pub fn from_config(config: &IngestConfig) -> Result<Ocr, OcrError> {
        if config.ocr == OcrMode::Off {
            return Err(OcrError::Off);
        }
        let tools = tools().map_err(OcrError::Unavailable)?;
        if let Some(language) = config
            .ocr_languages
            .iter()
            .find(|l| !tools.languages.contains(l))
        {
            return Err(OcrError::Unavailable(format!(
                "no Tesseract data for language `{language}` ([ingest] ocr_languages; Debian: apt-get install tesseract-ocr-{language})"
            )));
        }
        Ok(Ocr {
            languages: config.ocr_languages.join("+"),
            dpi: config.ocr_dpi,
            page_timeout: Duration::from_secs(config.ocr_page_timeout_secs),
            slots: Slots::new(Ocr::parallel()),
        })
    }

    /// How many pages are read at once: one per core.
    pub fn parallel() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// Reads pages `numbers` (1-based) of the PDF at `pdf`, in parallel; the results in
    /// the order asked.
    pub fn pdf_pages(&self, pdf: &Path, numbers: &[usize]) -> Vec<Result<OcrPage, OcrError>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<OcrPage, OcrError>>>> =
            Mutex::new(vec![None; numbers.len()]);
        std::thread::scope(|scope| {
            for _ in 0..Ocr::parallel().min(numbers.len()) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&number) = numbers.get(i) else { break };
                        let result = self.pdf_page(pdf, number);
                        if let Ok(mut results) = results.lock() {
                            results[i] = Some(result);
                        }
                    }
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(OcrError::Failed("page not read".into()))))
            .collect()
    }

    /// Renders page `number` (1-based) of the PDF at `pdf` and reads it.
    pub fn pdf_page(&self, pdf: &Path, number: usize) -> Result<OcrPage, OcrError> {
        self.slots.with(|| self.render_and_read(pdf, number))
    }

    fn render_and_read(&self, pdf: &Path, number: usize) -> Result<OcrPage, OcrError> {
        let dir = tempfile::tempdir().map_err(|e| OcrError::Failed(e.to_string()))?;
        let prefix = dir.path().join("page");
        let page = number.to_string();
        let dpi = self.dpi.to_string();
        run(
            Command::new("pdftoppm")
                // Grey PGM: written and read several times faster than PNG, and
                // removed with the page's folder.
                .args(["-r", &dpi, "-gray", "-f", &page, "-l", &page])
                .arg(pdf)
                .arg(&prefix),
            self.page_timeout,
        )?;
        let rendered = rendered_file(dir.path())?;
        let pages = self.read(&rendered, Some(self.dpi))?;
        Ok(pages.into_iter().next().unwrap_or(OcrPage {
            text: String::new(),
            confidence: 0.0,
        }))
    }

    /// Reads every page of an image file (PNG, JPEG, TIFF with one page or many).
    /// `dpi` is the resolution when known (a rendered page); images say their own.
    pub fn image(&self, image: &Path, dpi: Option<u32>) -> Result<Vec<OcrPage>, OcrError> {
        self.slots.with(|| self.read(image, dpi))
    }

    fn read(&self, image: &Path, dpi: Option<u32>) -> Result<Vec<OcrPage>, OcrError> {
        let mut command = Command::new("tesseract");
        command
            .arg(image)
            .arg("stdout")
            .args(["-l", &self.languages]);
        if let Some(dpi) = dpi {
            command.args(["--dpi", &dpi.to_string()]);
        }
        // One thread per Tesseract: ingest runs one per core already, and OpenMP's
        // threads would only spin against each other.
        command.arg("tsv").env("OMP_THREAD_LIMIT", "1");
        let frames = image_frames(image).max(1);
        let tsv = run(&mut command, self.page_timeout * frames as u32)?;
        Ok(pages_of_tsv(&tsv))
    }
}

/// The one file pdftoppm wrote into `dir`.
fn rendered_file(dir: &Path) -> Result<PathBuf, OcrError> {
    std::fs::read_dir(dir)
        .map_err(|e| OcrError::Failed(e.to_string()))?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "pgm"))
        .ok_or_else(|| OcrError::Failed("pdftoppm rendered nothing".into()))
}

/// How many pages a TIFF holds (its image directories); 1 for other images.
fn image_frames(image: &Path) -> usize {
    let Ok(bytes) = std::fs::read(image) else {
        return 1;
    };
    tiff_pages(&bytes).unwrap_or(1)
}

/// The number of image file directories in a TIFF, following the chain of offsets.
pub fn tiff_pages(bytes: &[u8]) -> Option<usize> {
    let little = match bytes.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<usize> {
        let b: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(usize::from(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }))
    };
    let u32_at = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
        .ok()
    };
    let mut offset = u32_at(4)?;
    let mut pages = 0;
    // A loop in the chain ends at the cap.
    while offset != 0 && pages < 10_000 {
        let entries = u16_at(offset)?;
        pages += 1;
        offset = u32_at(offset + 2 + entries * 12)?;
    }
    Some(pages)
}

/// Runs `command` to completion within `limit`, killing it past that; returns its stdout.
fn run(command: &mut Command, limit: Duration) -> Result<String, OcrError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| OcrError::Unavailable(e.to_string()))?;
    // Read stdout on a thread, so a large output cannot fill the pipe and stall the child.
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(stdout) = stdout.as_mut() {
            let _ = stdout.read_to_end(&mut out);
        }
        out
    });
    let status = match child.wait_timeout(limit) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(OcrError::TimedOut(limit.as_secs()));
        }
        Err(e) => return Err(OcrError::Failed(e.to_string())),
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        let mut err = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut err);
        }
        let last = err.lines().last().unwrap_or("no message").trim().to_owned();
        return Err(OcrError::Failed(format!("{status}: {last}")));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Pages of text from Tesseract's TSV output: words joined by spaces within a line, lines
/// by line breaks, paragraphs and blocks by a blank line; the confidence is the mean of
/// the words' (0 for a page without words).
fn pages_of_tsv(tsv: &str) -> Vec<OcrPage> {
    struct Page {
        text: String,
        confidences: Vec<f32>,
    }
    let mut pages: Vec<Page> = Vec::new();
    let mut last_line: Option<(usize, usize, usize)> = None;
    let mut last_paragraph: Option<(usize, usize)> = None;
    for row in tsv.lines().skip(1) {
        let fields: Vec<&str> = row.splitn(12, '\t').collect();
        let [
            level,
            page,
            block,
            paragraph,
            line,
            _,
            _,
            _,
            _,
            _,
            confidence,
            word,
        ] = fields.as_slice()
        else {
            continue;
        };
        let number = |s: &str| s.trim().parse::<usize>().unwrap_or(0);
        let page = number(page).max(1);
        while pages.len() < page {
            pages.push(Page {
                text: String::new(),
                confidences: Vec::new(),
            });
            last_line = None;
            last_paragraph = None;
        }
        let word = word.trim();
        if number(level) != 5 || word.is_empty() {
            continue;
        }
        let Some(current) = pages.last_mut() else {
            continue;
        };
        let here_paragraph = (number(block), number(paragraph));
        let here_line = (here_paragraph.0, here_paragraph.1, number(line));
        if !current.text.is_empty() {
            if last_paragraph != Some(here_paragraph) {
                current.text.push_str("\n\n");
            } else if last_line != Some(here_line) {
                current.text.push('\n');
            } else {
                current.text.push(' ');
            }
        }
        current.text.push_str(word);
        last_line = Some(here_line);
        last_paragraph = Some(here_paragraph);
        if let Ok(confidence) = confidence.trim().parse::<f32>()
            && confidence >= 0.0
        {
            current.confidences.push(confidence);
        }
    }
    pages
        .into_iter()
        .map(|page| OcrPage {
            confidence: if page.confidences.is_empty() {
                0.0
            } else {
                page.confidences.iter().sum::<f32>() / page.confidences.len() as f32
            },
            text: page.text,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_rows_become_lines_and_paragraphs_with_the_mean_word_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            1\t1\t0\t0\t0\t0\t0\t0\t10\t10\t-1\t\n\
            5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tMASTER\n\
            5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\tAGREEMENT\n\
            5\t1\t2\t1\t1\t1\t0\t0\t1\t1\t70\tThis\n\
            5\t1\t2\t1\t2\t1\t0\t0\t1\t1\t60\tagreement\n\
            1\t2\t0\t0\t0\t0\t0\t0\t10\t10\t-1\t\n\
            5\t2\t1\t1\t1\t1\t0\t0\t1\t1\t50\tPage\n";
        let pages = pages_of_tsv(tsv);
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].text, "MASTER AGREEMENT\n\nThis\nagreement");
        assert_eq!(pages[0].confidence, 75.0);
        assert_eq!(pages[1].text, "Page");
    }

    #[test]
    fn tiff_pages_follow_the_directory_chain_in_either_byte_order() {
        // Two directories of one entry each: header, IFD at 8 -> IFD at 26 -> end.
        let mut little = b"II*\0".to_vec();
        little.extend(8u32.to_le_bytes());
        for next in [26u32, 0] {
            little.extend(1u16.to_le_bytes());
            little.extend([0u8; 12]);
            little.extend(next.to_le_bytes());
        }
        assert_eq!(tiff_pages(&little), Some(2));
        let mut big = b"MM\0*".to_vec();
        big.extend(8u32.to_be_bytes());
        big.extend(0u16.to_be_bytes());
        big.extend(0u32.to_be_bytes());
        assert_eq!(tiff_pages(&big), Some(1));
        assert_eq!(tiff_pages(b"\x89PNG"), None);
    }
}
