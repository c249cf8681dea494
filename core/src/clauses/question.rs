//! Which clause type a question asks about: "Which law governs the agreement?" asks about
//! `governing_law`, "Is liability capped?" about `cap_on_liability`. Each type is known by
//! the words reviewers and lawyers name it with (its heading in a contract, the name of the
//! clause, the thing it settles), matched as checklist terms are: stemmed, in order, with a
//! few words between. The longest matching name wins; types named equally well are all
//! asked about. The model's own weights were tried first and rejected: they tell a clause
//! from the sentences around it, not what a question names (a third of CUAD's questions went
//! to the wrong type).

use crate::text::Stemmer;
use crate::text::terms::{Term, TermText};

/// The question asks about the document itself (its name or title), which its opening
/// states; no clause type of the model.
pub const DOCUMENT_NAME: &str = "document_name";

/// How each type is named, by its id in the clause model (CUAD's categories).
const NAMES: &[(&str, &[&str])] = &[
    (
        DOCUMENT_NAME,
        &[
            "name of the contract",
            "name of the agreement",
            "name of the document",
            "title of the contract",
            "title of the agreement",
            "title of the document",
            "contract called",
            "agreement called",
            "document called",
            "kind of agreement",
            "type of agreement",
            "kind of contract",
            "type of contract",
        ],
    ),
    (
        "parties",
        &[
            "who are the parties",
            "which parties",
            "names of the parties",
            "parties to the agreement",
            "parties to the contract",
            "parties to this agreement",
            "contracting parties",
            "who signed",
            "signatories",
            "who is the supplier",
            "who is the customer",
            "who is the licensor",
            "who is the licensee",
            "between whom",
        ],
    ),
    (
        "agreement_date",
        &[
            "date of the contract",
            "date of the agreement",
            "date of this agreement",
            "contract dated",
            "agreement dated",
            "when was the agreement signed",
            "when was the contract signed",
            "when was it signed",
            "signing date",
            "date signed",
            "execution date",
            "when was the agreement made",
            "when was the contract made",
        ],
    ),
    (
        "effective_date",
        &[
            "effective date",
            "agreement effective",
            "contract effective",
            "become effective",
            "becomes effective",
            "take effect",
            "takes effect",
            "come into force",
            "comes into force",
            "commencement date",
            "when does the agreement start",
            "when does the contract start",
            "when does the agreement begin",
            "when does the contract begin",
            "agreement commence",
            "contract commence",
        ],
    ),
    (
        "expiration_date",
        &[
            "initial term",
            "what is the term",
            "how long is the term",
            "length of the term",
            "duration of the term",
            "how long does the agreement last",
            "how long does the contract last",
            "how long is the agreement",
            "how long is the contract",
            "duration of the agreement",
            "duration of the contract",
            "expire",
            "expiry",
            "expiration",
            "end date",
            "when does the agreement end",
            "when does the contract end",
        ],
    ),
    (
        "renewal_term",
        &[
            "renewal term",
            "renew",
            "renewal",
            "automatic extension",
            "extended automatically",
            "extension of the term",
            "evergreen",
        ],
    ),
    (
        "notice_period_to_terminate_renewal",
        &[
            "notice of non-renewal",
            "non-renewal",
            "notice to terminate renewal",
            "notice period to terminate renewal",
            "notice required to terminate renewal",
            "notice period required to terminate renewal",
            "notice to prevent renewal",
            "notice not to renew",
            "stop the renewal",
            "avoid renewal",
        ],
    ),
    (
        "governing_law",
        &[
            "governing law",
            "law governs",
            "laws govern",
            "governed by",
            "which law",
            "whose law",
            "choice of law",
            "applicable law",
            "law applies",
            "law that applies",
            "law of which",
            "laws of which",
            "state law",
            "country's law",
        ],
    ),
    (
        "most_favored_nation",
        &[
            "most favored nation",
            "most favoured nation",
            "most favored customer",
            "most favoured customer",
            "better terms",
            "better price",
            "best price",
            "no less favorable",
            "no less favourable",
        ],
    ),
    (
        "non_compete",
        &[
            "non-compete",
            "noncompete",
            "compete",
            "competing",
            "competition",
            "restrictive covenant",
        ],
    ),
    (
        "exclusivity",
        &[
            "exclusive",
            "exclusivity",
            "exclusively",
            "sole supplier",
            "sole source",
            "all requirements",
        ],
    ),
    (
        "no_solicit_of_customers",
        &[
            "solicit customers",
            "soliciting customers",
            "solicitation of customers",
            "solicit clients",
            "poach customers",
            "customers of the other",
        ],
    ),
    (
        "competitive_restriction_exception",
        &[
            "exception to the non-compete",
            "exceptions to the non-compete",
            "exception to exclusivity",
            "exceptions to exclusivity",
            "carve-out",
            "carveout",
            "carve out",
            "exceptions or carveouts",
        ],
    ),
    (
        "no_solicit_of_employees",
        &[
            "solicit employees",
            "soliciting employees",
            "solicitation of employees",
            "hire employees",
            "hiring employees",
            "hire staff",
            "poach staff",
            "poach employees",
            "non-solicitation of employees",
        ],
    ),
    (
        "non_disparagement",
        &[
            "disparage",
            "disparagement",
            "disparaging",
            "negative statements",
        ],
    ),
    (
        "termination_for_convenience",
        &[
            "terminate for convenience",
            "termination for convenience",
            "terminate without cause",
            "terminate at will",
            "terminate at any time",
            "end the agreement early",
            "end the contract early",
            "walk away",
            "without cause",
            "notice period for termination",
            "notice to terminate",
        ],
    ),
    (
        "rofr_rofo_rofn",
        &[
            "right of first refusal",
            "right of first offer",
            "right of first negotiation",
            "first refusal",
            "first offer",
            "first negotiation",
            "rofr",
            "rofo",
            "rofn",
        ],
    ),
    (
        "change_of_control",
        &[
            "change of control",
            "change in control",
            "merger",
            "acquired",
            "acquisition",
            "takeover",
        ],
    ),
    (
        "anti_assignment",
        &[
            "assign",
            "assignment",
            "assignable",
            "transfer the agreement",
            "transfer the contract",
            "transfer this agreement",
            "novate",
            "novation",
        ],
    ),
    (
        "revenue_profit_sharing",
        &[
            "revenue sharing",
            "share revenue",
            "share of revenue",
            "profit sharing",
            "share profit",
            "share of profit",
            "royalty",
            "royalties",
            "commission",
        ],
    ),
    (
        "price_restrictions",
        &[
            "raise prices",
            "raise the prices",
            "increase prices",
            "increase the prices",
            "price increase",
            "reduce prices",
            "price change",
            "change the prices",
            "price restriction",
            "price cap",
        ],
    ),
    (
        "minimum_commitment",
        &[
            "minimum commitment",
            "minimum order",
            "minimum purchase",
            "minimum quantity",
            "minimum volume",
            "minimum amount",
            "minimum spend",
            "take or pay",
        ],
    ),
    (
        "volume_restriction",
        &[
            "volume restriction",
            "volume limit",
            "usage limit",
            "use exceeds",
            "exceeds a threshold",
            "exceeds certain threshold",
            "excess usage",
            "overage",
        ],
    ),
    (
        "ip_ownership_assignment",
        &[
            "owns the intellectual property",
            "own the intellectual property",
            "ownership of intellectual property",
            "ownership of the intellectual property",
            "intellectual property created",
            "ownership of work product",
            "owns the work product",
            "who owns",
            "assignment of intellectual property",
            "assign intellectual property",
            "become the property",
        ],
    ),
    (
        "joint_ip_ownership",
        &[
            "joint ownership",
            "joint ownership of intellectual property",
            "shared ownership of intellectual property",
            "jointly owned",
            "jointly own",
            "shared ownership",
            "co-own",
            "co-owned",
        ],
    ),
    (
        "license_grant",
        &[
            "license grant",
            "licence grant",
            "license granted",
            "licence granted",
            "grant a license",
            "grant a licence",
            "licensed",
            "license",
            "licence",
        ],
    ),
    (
        "non_transferable_license",
        &[
            "non-transferable",
            "nontransferable",
            "transfer the license",
            "transfer the licence",
            "license transferable",
            "licence transferable",
            "sublicense",
            "sublicence",
        ],
    ),
    (
        "affiliate_license_licensor",
        &[
            "affiliates of the licensor",
            "affiliates of licensor",
            "licensor affiliates",
            "licensor's affiliates",
        ],
    ),
    (
        "affiliate_license_licensee",
        &[
            "affiliates of the licensee",
            "affiliates of licensee",
            "licensee affiliates",
            "licensee's affiliates",
            "licensee and its affiliates",
            "licensee and the affiliates",
        ],
    ),
    (
        "unlimited_all_you_can_eat_license",
        &[
            "unlimited license",
            "unlimited licence",
            "unlimited usage",
            "unlimited use",
            "all you can eat",
            "enterprise license",
            "enterprise licence",
        ],
    ),
    (
        "irrevocable_or_perpetual_license",
        &[
            "irrevocable",
            "perpetual",
            "irrevocable license",
            "perpetual license",
            "irrevocable licence",
            "perpetual licence",
            "irrevocable or perpetual",
        ],
    ),
    ("source_code_escrow", &["escrow", "source code"]),
    (
        "post_termination_services",
        &[
            "after termination",
            "after the termination",
            "after expiration",
            "after the expiration",
            "post-termination",
            "upon termination",
            "on termination",
            "wind-down",
            "wind down",
            "transition services",
            "survive termination",
        ],
    ),
    (
        "audit_rights",
        &[
            "audit",
            "inspect the books",
            "inspect records",
            "inspection",
            "books and records",
        ],
    ),
    (
        "uncapped_liability",
        &[
            "uncapped",
            "liability uncapped",
            "uncapped liability",
            "unlimited liability",
            "liability unlimited",
            "not capped",
            "no cap",
            "without limit",
            "exclusions from the cap",
            "exceptions to the cap",
        ],
    ),
    (
        "cap_on_liability",
        &[
            "cap on liability",
            "liability cap",
            "liability capped",
            "capped liability",
            "limitation of liability",
            "limit of liability",
            "limit liability",
            "limits liability",
            "liability limited",
            "maximum liability",
            "aggregate liability",
            "total liability",
            "liable for",
            "liability",
        ],
    ),
    (
        "liquidated_damages",
        &[
            "liquidated damages",
            "termination fee",
            "break fee",
            "penalty",
            "penalties",
        ],
    ),
    (
        "warranty_duration",
        &[
            "warranty period",
            "warranty duration",
            "duration of the warranty",
            "duration of any warranty",
            "how long is the warranty",
            "warranty last",
            "warranty",
            "warranties",
        ],
    ),
    ("insurance", &["insurance", "insured", "insure", "insurer"]),
    (
        "covenant_not_to_sue",
        &[
            "covenant not to sue",
            "not to sue",
            "not sue",
            "contest the validity",
            "contest the validity of",
            "challenge the validity of",
            "no-challenge",
            "contesting the validity",
            "challenge the validity",
            "challenging the validity",
        ],
    ),
    (
        "third_party_beneficiary",
        &[
            "third party beneficiary",
            "third-party beneficiary",
            "third party beneficiaries",
            "third-party beneficiaries",
            "beneficiary",
            "beneficiaries",
            "non-contracting party",
            "enforce the agreement",
            "rights of third parties",
        ],
    ),
];

/// Most other words between two words of a name in a question.
const GAP: usize = 1;

/// Finds the clause types questions ask about.
pub struct QuestionTypes {
    /// Per type id, its names as terms.
    names: Vec<(&'static str, Vec<Term>)>,
}

impl Default for QuestionTypes {
    fn default() -> Self {
        QuestionTypes::new()
    }
}

/// The names stemmed once, for every question asked.
static SHARED: std::sync::LazyLock<QuestionTypes> = std::sync::LazyLock::new(QuestionTypes::new);

impl QuestionTypes {
    /// One instance for all: building it stems every name.
    pub fn shared() -> &'static QuestionTypes {
        &SHARED
    }

    pub fn new() -> QuestionTypes {
        let mut stemmer = Stemmer::default();
        let names = NAMES
            .iter()
            .map(|(id, names)| {
                let terms = names
                    .iter()
                    .filter_map(|name| Term::new(&mut stemmer, name))
                    .collect();
                (*id, terms)
            })
            .collect();
        QuestionTypes { names }
    }

    /// The types `question` names best: by their longest name it holds, then by where the
    /// question says it. Empty when it names none; several only when their names are as
    /// long and stand at the same place.
    pub fn asked(&self, question: &str) -> Vec<&'static str> {
        let text = TermText::new(&mut Stemmer::default(), question);
        // Names said as written first: "what is the renewal term" names the renewal term,
        // though "what is the term" is found in it with a word between.
        (0..=GAP)
            .map(|gap| self.asked_with_gap(&text, gap))
            .find(|types| !types.is_empty())
            .unwrap_or_default()
    }

    fn asked_with_gap(&self, text: &TermText, gap: usize) -> Vec<&'static str> {
        // Per type: its longest name found and where (the longer, the earlier, the better).
        let found: Vec<(&'static str, (usize, std::cmp::Reverse<usize>))> = self
            .names
            .iter()
            .filter_map(|(id, terms)| {
                terms
                    .iter()
                    .filter_map(|term| {
                        let at = term.find(text, gap)?;
                        Some((term.word_count(), std::cmp::Reverse(at)))
                    })
                    .max()
                    .map(|best| (*id, best))
            })
            .collect();
        let Some(best) = found.iter().map(|&(_, rank)| rank).max() else {
            return Vec::new();
        };
        found
            .into_iter()
            .filter(|&(_, rank)| rank == best)
            .map(|(id, _)| id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_is_asked_about_the_type_it_names_longest() {
        let types = QuestionTypes::new();
        assert_eq!(
            types.asked("Which law governs the agreement?"),
            ["governing_law"]
        );
        assert_eq!(
            types.asked("Is there a cap on liability?"),
            ["cap_on_liability"]
        );
        // "initial term" (two words) outweighs "renewal" (one).
        assert_eq!(
            types.asked("When does the initial term expire, before any renewal?"),
            ["expiration_date"]
        );
        // Names as long: the one said first.
        assert_eq!(
            types.asked("What is the renewal term after the initial term expires?"),
            ["renewal_term"]
        );
        assert_eq!(
            types.asked("Can the supplier assign the contract?"),
            ["anti_assignment"]
        );
    }

    #[test]
    fn a_question_naming_no_clause_asks_about_none() {
        let types = QuestionTypes::new();
        assert!(
            types
                .asked("0-dimensional biomaterials show inductive properties.")
                .is_empty()
        );
        assert!(
            types
                .asked("What did the minutes of the board meeting say?")
                .is_empty()
        );
    }

    #[test]
    fn every_type_of_the_built_in_model_has_names() {
        let model = super::super::clause_model(None).expect("built-in model");
        for kind in &model.types {
            assert!(
                NAMES.iter().any(|(id, _)| *id == kind.id),
                "{} has no names a question could use",
                kind.id
            );
        }
    }
}
