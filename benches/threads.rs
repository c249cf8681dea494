//! E-mail threading (`kodiak::threads`): quality and speed on generated mailboxes with known
//! threads (`support::mailbox`: branches, forwards with attachments, messages without
//! threading headers, top- and bottom-posting, Outlook blocks, trimmed quotes, re-wrapped
//! quotes, dropped signatures, unrelated conversations sharing a subject).
//!
//! Quality, on the threading alone and then through Kodiak (each mail written as an .eml
//! file, ingested, threaded as ingest does, read back from `docs list`): thread precision
//! and recall over pairs of messages put in one thread, inclusive precision and recall, the
//! share of replies given their right parent, and the reading saved (messages left to read
//! when only inclusive ones are read). Speed: threading 10,000 and 100,000 messages, and
//! an ingest of 10,000 e-mails with the threading step timed on its own.
//! Run with `cargo bench --bench threads`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::time::Instant;

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::ingest::Silent;
use kodiak::threads::{self, Placement};
use support::corpus::{Rng, Vocabulary};
use support::mailbox::Mailbox;

fn main() {
    let mut rng = Rng(0x7EAD_5EED);
    let vocabulary = Vocabulary::new(&mut rng);
    let mailbox = Mailbox::generate(&vocabulary, &mut rng, 3_000);
    println!(
        "== quality: threading alone, {} generated messages ==",
        mailbox.mails.len()
    );
    let messages: Vec<_> = mailbox.mails.iter().map(|m| mailbox.message(m)).collect();
    let placements = threads::thread(&messages);
    let by_index: Vec<Placement> = {
        let mut map: HashMap<i64, Placement> =
            placements.into_iter().map(|p| (p.document, p)).collect();
        (0..mailbox.mails.len())
            .map(|i| map.remove(&(i as i64 + 1)).expect("every message placed"))
            .collect()
    };
    let predicted: Vec<(i64, Option<usize>, bool)> = by_index
        .iter()
        .map(|p| (p.thread, p.parent.map(|id| id as usize - 1), p.inclusive))
        .collect();
    score(&mailbox, &predicted);

    let small = Mailbox::generate(&vocabulary, &mut Rng(0xBEEF), 1_500);
    println!(
        "\n== quality: through ingest, {} generated .eml files ==",
        small.mails.len()
    );
    let (predicted, _) = ingested(&small, false);
    score(&small, &predicted);

    println!("\n== speed ==");
    for count in [10_000, 100_000] {
        let big = Mailbox::generate(&vocabulary, &mut rng, count);
        let messages: Vec<_> = big.mails.iter().map(|m| big.message(m)).collect();
        let started = Instant::now();
        let placements = threads::thread(&messages);
        let took = started.elapsed();
        println!(
            "  threading {} messages: {:.2} s ({:.0} messages/s), {} threads",
            messages.len(),
            took.as_secs_f64(),
            messages.len() as f64 / took.as_secs_f64(),
            placements
                .iter()
                .map(|p| p.thread)
                .collect::<std::collections::HashSet<_>>()
                .len()
        );
    }
    let big = Mailbox::generate(&vocabulary, &mut rng, 10_000);
    let (_, timing) = ingested(&big, true);
    if let Some((ingest, threading)) = timing {
        println!(
            "  ingest of {} e-mails: {:.1} s, of which threading them all again {:.2} s ({:.1}%)",
            big.mails.len(),
            ingest,
            threading,
            100.0 * threading / ingest
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        println!(
            "  peak memory of the benchmark process: {}",
            line.trim_start_matches("VmHWM:").trim()
        );
    }
}

/// Writes the mailbox as .eml files, ingests them, and reads back each mail's thread,
/// parent (as a mail index) and inclusive; with `timed`, the ingest's time and the time of
/// threading every stored e-mail again.
#[allow(clippy::type_complexity)]
fn ingested(
    mailbox: &Mailbox,
    timed: bool,
) -> (Vec<(i64, Option<usize>, bool)>, Option<(f64, f64)>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mail_dir = dir.path().join("mail");
    std::fs::create_dir_all(&mail_dir).unwrap();
    for mail in &mailbox.mails {
        std::fs::write(
            mail_dir.join(format!("mail-{:06}.eml", mail.index)),
            mailbox.eml(mail),
        )
        .unwrap();
    }
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    let kodiak = Kodiak::open(
        Settings::in_dir(&dir.path().join("data"), config)
            .with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .expect("open kodiak");
    let started = Instant::now();
    let report = kodiak
        .ingest(std::slice::from_ref(&mail_dir), &Silent)
        .expect("ingest");
    let ingest = started.elapsed().as_secs_f64();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let timing = timed.then(|| {
        let db = support::database_of(&kodiak);
        db.write(|tx| {
            tx.execute("DELETE FROM email_threads", [])?;
            Ok::<_, kodiak::storage::StorageError>(())
        })
        .unwrap();
        let started = Instant::now();
        assert!(kodiak.update_threads().unwrap());
        (ingest, started.elapsed().as_secs_f64())
    });
    let documents = kodiak.documents().expect("documents");
    let mut index_of: HashMap<i64, usize> = HashMap::new();
    for doc in &documents {
        if doc.parent_id.is_none()
            && let Some(name) = doc.path.rsplit('/').next()
            && let Some(number) = name
                .strip_prefix("mail-")
                .and_then(|n| n.strip_suffix(".eml"))
        {
            index_of.insert(doc.id, number.parse().unwrap());
        }
    }
    let mut placements: HashMap<usize, Placement> = HashMap::new();
    for thread in kodiak.threads(1).expect("threads") {
        for m in thread.messages {
            placements.insert(
                index_of[&m.id],
                Placement {
                    document: m.id,
                    thread: thread.id,
                    parent: m.parent,
                    position: m.position,
                    inclusive: m.inclusive,
                },
            );
        }
    }
    let predicted = (0..mailbox.mails.len())
        .map(|i| {
            let p = &placements[&i];
            (p.thread, p.parent.map(|id| index_of[&id]), p.inclusive)
        })
        .collect();
    (predicted, timing)
}

/// Prints thread and inclusive precision and recall, parent accuracy, and reading saved.
fn score(mailbox: &Mailbox, predicted: &[(i64, Option<usize>, bool)]) {
    let mut truth_sizes: HashMap<usize, usize> = HashMap::new();
    let mut predicted_sizes: HashMap<i64, usize> = HashMap::new();
    let mut both: HashMap<(usize, i64), usize> = HashMap::new();
    for (mail, (thread, _, _)) in mailbox.mails.iter().zip(predicted) {
        *truth_sizes.entry(mail.thread).or_default() += 1;
        *predicted_sizes.entry(*thread).or_default() += 1;
        *both.entry((mail.thread, *thread)).or_default() += 1;
    }
    let pairs =
        |sizes: &mut dyn Iterator<Item = &usize>| sizes.map(|&n| n * (n - 1) / 2).sum::<usize>();
    let together = pairs(&mut both.values());
    let truth_pairs = pairs(&mut truth_sizes.values());
    let predicted_pairs = pairs(&mut predicted_sizes.values());
    println!(
        "  threads: precision {:.3}, recall {:.3} over pairs of messages ({} true threads, {} found)",
        together as f64 / predicted_pairs.max(1) as f64,
        together as f64 / truth_pairs.max(1) as f64,
        truth_sizes.len(),
        predicted_sizes.len()
    );
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (mail, (_, _, inclusive)) in mailbox.mails.iter().zip(predicted) {
        match (mail.inclusive, *inclusive) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    println!(
        "  inclusive: precision {:.3}, recall {:.3} ({} truly inclusive of {})",
        tp as f64 / (tp + fp).max(1) as f64,
        tp as f64 / (tp + fn_).max(1) as f64,
        tp + fn_,
        mailbox.mails.len()
    );
    for (label, headerless) in [("with headers", false), ("without headers", true)] {
        let replies: Vec<_> = mailbox
            .mails
            .iter()
            .zip(predicted)
            .filter(|(m, _)| m.in_reply_to.is_some() && m.headerless == headerless)
            .collect();
        let right = replies
            .iter()
            .filter(|(m, (_, parent, _))| {
                let truth = mailbox
                    .mails
                    .iter()
                    .position(|p| Some(&p.message_id) == m.in_reply_to.as_ref());
                *parent == truth
            })
            .count();
        println!(
            "  parent right for {right} of {} replies {label} ({:.3})",
            replies.len(),
            right as f64 / replies.len().max(1) as f64
        );
    }
    // KODIAK_BENCH_MISSES=N prints N messages called inclusive that a later one covers,
    // with what covers them, to read before tuning.
    let show: usize = std::env::var("KODIAK_BENCH_MISSES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    for (m, (thread, _, _)) in mailbox
        .mails
        .iter()
        .zip(predicted)
        .filter(|(m, p)| p.2 && !m.inclusive)
        .take(show)
    {
        let cover = mailbox.mails[m.index + 1..]
            .iter()
            .find(|n| n.thread == m.thread && n.contains.contains(&m.index))
            .expect("a covered message has a coverer");
        println!(
            "\n--- miss: mail {} (thread {thread}, attachments {}) covered by mail {} (thread {}, attachments {})\n{}\n--- its coverer:\n{}",
            m.index,
            m.attachments.len(),
            cover.index,
            predicted[cover.index].0,
            cover.attachments.len(),
            m.body,
            cover.body
        );
    }
    let read = predicted.iter().filter(|p| p.2).count();
    let truly = mailbox.mails.iter().filter(|m| m.inclusive).count();
    println!(
        "  reading saved: {read} inclusive messages of {} to read ({:.1}% fewer; {:.1}% by the truth)",
        mailbox.mails.len(),
        100.0 * (1.0 - read as f64 / mailbox.mails.len() as f64),
        100.0 * (1.0 - truly as f64 / mailbox.mails.len() as f64)
    );
}
