//! `kodiak-engine`: the model worker as a program of its own, for the core's tests and for
//! deployments that keep the worker apart from the front end. It is what `kodiak engine`
//! runs: one model loaded, framed requests answered on standard input and output, until
//! the input closes. Kodiak itself starts `kodiak engine` (its own executable), so a worker
//! is never another version.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(kodiak::llm::worker::serve::serve())
}
