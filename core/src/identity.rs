//! Who Kodiak runs as, from the kernel and the system's user database (through `nix`),
//! never from the environment: `USER=mallory kodiak ask` is still the same user. Reviews,
//! audit entries and the rate limit all name the user this way.

/// The OS user id of this process.
pub fn uid() -> u32 {
    nix::unistd::getuid().as_raw()
}

/// The OS user as a review records it: the account name, else `uid N`.
pub fn user_name() -> String {
    let uid = uid();
    account_name(uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The identity requests are counted by: the OS user id, with the account's name when the
/// system has one (`uid 1000 (alice)`).
pub fn user_identity() -> String {
    let uid = uid();
    match account_name(uid) {
        Some(name) => format!("uid {uid} ({name})"),
        None => format!("uid {uid}"),
    }
}

/// The machine's host name, from the kernel; `unknown` if it cannot be read.
pub fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The account name of `uid` from the password database, if it has one.
fn account_name(uid: u32) -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|user| user.name)
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_is_named_by_the_kernel_whatever_the_environment_says() {
        let uid = uid();
        let name = user_name();
        assert!(!name.is_empty());
        assert!(user_identity().starts_with(&format!("uid {uid}")));
        // SAFETY: this test alone writes USER, and reads nothing from it.
        unsafe { std::env::set_var("USER", "mallory-identity-test") };
        assert_eq!(user_name(), name);
        assert!(!host_name().is_empty());
    }
}
