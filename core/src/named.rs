//! Enums stored, printed and parsed by name: each has `ALL` and `as_str`, and these macros
//! give it SQLite's `ToSql`/`FromSql` and `FromStr` from them, strictly (a name the enum
//! does not know is an error naming it, never a default).

/// Stores an enum as its name (`as_str`) and reads it back strictly (`FromStr`): a name the
/// enum does not know is an error naming the value, never a silent default, so a newer
/// database opened by an older Kodiak fails loudly instead of misreporting.
macro_rules! stored_by_name {
    ($type:ty) => {
        impl rusqlite::types::ToSql for $type {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }

        impl rusqlite::types::FromSql for $type {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                text.parse::<$type>().map_err(|_| {
                    rusqlite::types::FromSqlError::Other(
                        format!("unknown {} {text:?} in the database", stringify!($type)).into(),
                    )
                })
            }
        }
    };
}
pub(crate) use stored_by_name;

/// `FromStr` for an enum with `ALL` and `as_str`: its exact name, or an error that lists
/// the names, so that a front end can parse a user's word without knowing the enum.
macro_rules! parse_by_name {
    ($type:ty, $what:literal) => {
        impl std::str::FromStr for $type {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == text)
                    .ok_or_else(|| {
                        let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        format!("unknown {} {text:?}; one of: {}", $what, names.join(", "))
                    })
            }
        }
    };
}
pub(crate) use parse_by_name;
