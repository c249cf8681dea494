//! Generated contracts for the checklist benchmark, labelled by construction: each of 20
//! clause types is present or absent at random, written in one of three wordings (the
//! third avoids the shipped checklist's terms on purpose, as real drafting often does), and
//! some absent clauses leave a near miss behind ("Headings are for convenience only" is no
//! termination right). A cell is right when `found` agrees with the label; its evidence is
//! right when the quote overlaps the planted clause.

use super::corpus::Rng;

/// A generated contract and, per clause type, the planted clause's text when present.
pub struct LabelledContract {
    pub file_name: String,
    pub text: String,
    /// (item id, the clause as written), for the types present.
    pub present: Vec<(&'static str, String)>,
}

/// The 20 clause types planted, by the shipped checklist's item ids.
pub const ITEMS: [&str; 20] = [
    "effective_date",
    "term",
    "renewal",
    "termination_convenience",
    "termination_breach",
    "governing_law",
    "dispute_resolution",
    "liability_cap",
    "consequential_loss",
    "indemnity",
    "confidentiality",
    "assignment",
    "change_of_control",
    "exclusivity",
    "non_compete",
    "audit_rights",
    "insurance",
    "payment_terms",
    "force_majeure",
    "subcontracting",
];

use super::contracts::SUPPLIERS;

const CUSTOMERS: &[&str] = &[
    "Meridian Retail Group",
    "Northgate Hospitals Trust",
    "Orion Freight Services",
    "Pinecrest Hotels",
    "Quarry Lane Builders",
    "Saltmarsh Energy",
];
const LAWS: &[&str] = &[
    "Delaware",
    "New York",
    "England and Wales",
    "Ontario",
    "Texas",
];
const PERIODS: &[&str] = &["thirty (30) days", "sixty (60) days", "ninety (90) days"];
const YEARS: &[&str] = &["two (2) years", "three (3) years", "five (5) years"];

/// The three wordings of each clause type; `{law}`, `{period}`, `{years}`, `{amount}` and
/// `{date}` are filled in. The third never uses the checklist's terms.
fn wordings(item: &str) -> [&'static str; 3] {
    match item {
        "effective_date" => [
            "This Agreement takes effect on {date} (the Effective Date).",
            "The Effective Date of this Agreement is {date}.",
            "The parties' obligations start on {date}.",
        ],
        "term" => [
            "The initial term of this Agreement is {years} from the Effective Date.",
            "This Agreement shall continue for {years} unless terminated earlier.",
            "The Supplier will supply the Products for {years} from signature.",
        ],
        "renewal" => [
            "This Agreement shall automatically renew for successive periods of one (1) year unless either party objects.",
            "At the end of the initial term, the Agreement is renewed for a renewal term of one (1) year each time.",
            "Unless a party objects {period} before expiry, the Agreement goes on for another year, and so on.",
        ],
        "termination_convenience" => [
            "Either party may terminate this Agreement for convenience on {period} written notice.",
            "The Customer may end this Agreement without cause by giving {period} notice to the Supplier.",
            "The Customer may bring this Agreement to an end at its discretion with {period} notice.",
        ],
        "termination_breach" => [
            "Either party may terminate this Agreement if the other commits a material breach and fails to remedy it within {period}.",
            "If a party is in material breach and does not cure it within {period}, the other party may terminate.",
            "A party that does not put right a serious failure to perform within {period} of a written request may be given notice ending this Agreement.",
        ],
        "governing_law" => [
            "This Agreement is governed by the laws of {law}.",
            "The governing law of this Agreement is the law of {law}.",
            "The courts shall apply the law of {law} to any question arising under this Agreement.",
        ],
        "dispute_resolution" => [
            "The courts of {law} have exclusive jurisdiction over any dispute arising from this Agreement.",
            "Any dispute shall be finally settled by arbitration under the rules of the ICC.",
            "Any disagreement between the parties is decided by a sole arbitrator sitting in London.",
        ],
        "liability_cap" => [
            "The Supplier's aggregate liability under this Agreement shall not exceed {amount}.",
            "Each party's total liability is capped at {amount} in any contract year.",
            "Neither party is liable to pay more than {amount} in respect of all claims under this Agreement.",
        ],
        "consequential_loss" => [
            "Neither party is liable for any indirect or consequential loss.",
            "In no event shall either party be liable for loss of profits, revenue or goodwill.",
            "Neither party must compensate the other for damage that does not follow directly from the breach.",
        ],
        "indemnity" => [
            "The Supplier shall indemnify the Customer against all claims arising from defective Products.",
            "The Supplier shall hold harmless the Customer from any third-party claim that the Products infringe a patent.",
            "The Supplier will make good any loss the Customer suffers from claims of third parties about the Products.",
        ],
        "confidentiality" => [
            "Each party shall keep confidential all Confidential Information of the other for {years} after termination.",
            "The Recipient shall not disclose to any third party the information received from the Discloser.",
            "What one party learns of the other's business under this Agreement stays between the parties for {years}.",
        ],
        "assignment" => [
            "Neither party may assign this Agreement without the prior written consent of the other.",
            "The Customer may assign its rights to an affiliate on written notice.",
            "Neither party may hand over its rights and duties under this Agreement to someone else without consent.",
        ],
        "change_of_control" => [
            "If a party undergoes a change of control, the other party may terminate this Agreement on {period} notice.",
            "The Supplier shall notify the Customer of any change in control of the Supplier within {period}.",
            "If another company acquires most of the Supplier's shares, the Customer may end this Agreement.",
        ],
        "exclusivity" => [
            "The Supplier is appointed the exclusive supplier of the Products to the Customer.",
            "The Customer shall purchase the Products exclusively from the Supplier during the term.",
            "The Customer will not buy the Products from anyone but the Supplier during the term.",
        ],
        "non_compete" => [
            "During the term the Supplier shall not compete with the Customer in the sale of similar goods.",
            "For {years} after termination the Supplier shall not operate a competing business in the Territory.",
            "The Supplier will not sell similar goods to the Customer's rivals in the Territory during the term.",
        ],
        "audit_rights" => [
            "The Customer may audit the Supplier's compliance with this Agreement once a year.",
            "The Supplier shall keep complete books and records and make them available to the Customer on request.",
            "Once a year the Customer's accountants may examine the Supplier's accounts relating to the Products.",
        ],
        "insurance" => [
            "The Supplier shall maintain product liability insurance of at least {amount}.",
            "The Supplier shall keep in force an insurance policy covering its liability under this Agreement.",
            "The Supplier shall keep cover with a reputable underwriter for at least {amount} per claim.",
        ],
        "payment_terms" => [
            "The Customer shall pay each invoice within {period} of receipt.",
            "Payment is due within {period} of the date of the Supplier's invoice.",
            "The Customer settles the Supplier's bills {period} after they arrive.",
        ],
        "force_majeure" => [
            "Neither party is liable for a delay caused by force majeure.",
            "Neither party is responsible for failure to perform caused by events beyond its reasonable control.",
            "A party hindered by war, flood or epidemic is excused for as long as the hindrance lasts.",
        ],
        "subcontracting" => [
            "The Supplier may not subcontract any of its obligations without the Customer's consent.",
            "The Supplier may use subcontractors, and remains responsible for them.",
            "The Supplier may have third parties perform parts of the work, at its own risk.",
        ],
        _ => ["", "", ""],
    }
}

/// Sentences that look like an item but are not the clause: left where the clause is
/// absent, about one time in three.
fn near_miss(item: &str) -> Option<&'static str> {
    Some(match item {
        "termination_convenience" => {
            "Headings are for convenience only and do not affect interpretation."
        }
        "governing_law" => "Each party shall comply with all applicable laws.",
        "exclusivity" => "Prices exclude value added tax, which the Customer pays.",
        "insurance" => "The Customer bears the cost of shipping.",
        "assignment" => "The Supplier assigns a contact person to the Customer's account.",
        "audit_rights" => "The Supplier's annual accounts are audited by its own accountants.",
        "payment_terms" => "The prices are set out in Schedule 2.",
        _ => return None,
    })
}

/// Boilerplate every contract has, none of it an item.
const BOILERPLATE: &[&str] = &[
    "The Supplier shall deliver the Products to the Customer's premises in accordance with each purchase order.",
    "Risk in the Products passes to the Customer on delivery.",
    "This Agreement is the entire agreement between the parties about its subject.",
    "No variation of this Agreement is valid unless it is in writing and signed by both parties.",
    "If any provision is held invalid, the rest of this Agreement remains in effect.",
    "This Agreement may be signed in counterparts, each of which is an original.",
];

/// `count` contracts, the same for a given seed; about 60% of each type present.
pub fn generate(count: usize, seed: u64) -> Vec<LabelledContract> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|i| {
            let supplier = SUPPLIERS[rng.below(SUPPLIERS.len())];
            let customer = CUSTOMERS[rng.below(CUSTOMERS.len())];
            let fill = |text: &str, rng: &mut Rng| {
                text.replace("{law}", LAWS[rng.below(LAWS.len())])
                    .replace("{period}", PERIODS[rng.below(PERIODS.len())])
                    .replace("{years}", YEARS[rng.below(YEARS.len())])
                    .replace("{amount}", &format!("USD {},000,000", 1 + rng.below(9)))
                    .replace(
                        "{date}",
                        &format!(
                            "{} {} {}",
                            1 + rng.below(28),
                            super::contracts::MONTHS[rng.below(12)],
                            2024 + rng.below(3)
                        ),
                    )
            };
            let mut clauses: Vec<(Option<&'static str>, String)> = Vec::new();
            let mut present = Vec::new();
            for item in ITEMS {
                if rng.chance(60) {
                    let text = fill(wordings(item)[rng.below(3)], &mut rng);
                    present.push((item, text.clone()));
                    clauses.push((Some(item), text));
                } else if let Some(miss) = near_miss(item).filter(|_| rng.chance(35)) {
                    clauses.push((None, miss.to_owned()));
                }
            }
            for text in BOILERPLATE {
                if rng.chance(70) {
                    clauses.push((None, (*text).to_owned()));
                }
            }
            // Clauses in a shuffled order, numbered as sections.
            for k in (1..clauses.len()).rev() {
                clauses.swap(k, rng.below(k + 1));
            }
            let mut text = format!(
                "SUPPLY AGREEMENT No. {i}\n\nThis Supply Agreement is made between {supplier} \
                 (the Supplier) and {customer} (the Customer).\n\n"
            );
            for (n, (_, clause)) in clauses.iter().enumerate() {
                text.push_str(&format!("{}. {clause}\n\n", n + 1));
            }
            text.push_str("Signed for and on behalf of the parties.\n");
            LabelledContract {
                file_name: format!("contract-{i:04}.txt"),
                text,
                present,
            }
        })
        .collect()
}
