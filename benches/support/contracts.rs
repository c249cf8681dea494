//! Generated supply agreements for the answer benchmark: each states its own parties, dates,
//! term, notice period, liability cap, payment terms and governing law among clauses that
//! every agreement shares, so an answer is right only when it found this agreement's value.

use super::corpus::Rng;

/// A generated agreement: its text and the questions it answers, with the value each
/// right answer states (any one of them).
pub struct Contract {
    pub file_name: String,
    pub text: String,
    pub questions: Vec<(String, Vec<String>)>,
}

pub const SUPPLIERS: &[&str] = &[
    "Aldgate Components Ltd",
    "Brenner Feinmechanik GmbH",
    "Cobalt Ridge Manufacturing Inc.",
    "Dunmore Textiles plc",
    "Eastgate Polymers LLC",
    "Fjord Marine Supplies AS",
    "Granite Peak Electronics Corp.",
    "Hollins & Vale Packaging Ltd",
    "Ironbridge Castings Ltd",
    "Juniper Labs S.A.",
    "Kestrel Optics Inc.",
    "Larkspur Foods LLC",
];
const BUYERS: &[&str] = &[
    "Meridian Retail Group",
    "Northgate Hospitals Trust",
    "Orion Freight Services",
    "Pinecrest Hotels",
    "Quarry Lane Builders",
    "Riverside Transit Authority",
    "Saltmarsh Energy",
    "Tamarind Airlines",
];
const LAWS: &[&str] = &[
    "Delaware",
    "New York",
    "California",
    "Texas",
    "Illinois",
    "England and Wales",
    "Ontario",
    "Massachusetts",
    "Washington",
    "Colorado",
];
pub const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const NUMBER_WORDS: &[(u32, &str)] = &[
    (2, "two"),
    (3, "three"),
    (4, "four"),
    (5, "five"),
    (15, "fifteen"),
    (30, "thirty"),
    (45, "forty-five"),
    (60, "sixty"),
    (90, "ninety"),
];

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len())]
}

fn pick_number(rng: &mut Rng, from: &[u32]) -> (u32, &'static str) {
    let n = from[rng.below(from.len())];
    let word = NUMBER_WORDS
        .iter()
        .find(|(k, _)| *k == n)
        .map_or("", |(_, w)| *w);
    (n, word)
}

/// `count` agreements, the same for a given seed.
pub fn generate(count: usize, seed: u64) -> Vec<Contract> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|i| {
            let supplier = SUPPLIERS[i % SUPPLIERS.len()];
            let buyer = pick(&mut rng, BUYERS);
            let law = pick(&mut rng, LAWS);
            let day = 1 + rng.below(28);
            let month = pick(&mut rng, MONTHS);
            let year = 2024 + rng.below(3);
            let effective = format!("{day} {month} {year}");
            let (term, term_word) = pick_number(&mut rng, &[2, 3, 4, 5]);
            let (notice, notice_word) = pick_number(&mut rng, &[30, 45, 60, 90]);
            let (payment, payment_word) = pick_number(&mut rng, &[15, 30, 45, 60]);
            let cap = 50_000 * (1 + rng.below(40));
            let cap = format!("{},{:03}", cap / 1000, cap % 1000);
            let product = pick(
                &mut rng,
                &[
                    "industrial fasteners",
                    "printed circuit assemblies",
                    "insulated cable",
                    "food-grade packaging",
                    "optical sensors",
                    "hospital linen",
                ],
            );
            let text = agreement(&Terms {
                supplier,
                buyer,
                law,
                effective: &effective,
                term: (term, term_word),
                notice: (notice, notice_word),
                payment: (payment, payment_word),
                cap: &cap,
                product,
                variant: i % 2,
            });
            let slug: String = supplier
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(16)
                .collect();
            let question = |q: &str, expected: &[String]| (q.to_owned(), expected.to_vec());
            let questions = vec![
                question(
                    "Which law governs this supply agreement?",
                    &[law.to_owned()],
                ),
                question(
                    "When is this supply agreement effective?",
                    std::slice::from_ref(&effective),
                ),
                question(
                    "How many years is the initial term of this supply agreement?",
                    &[
                        format!("{term_word} ({term}) years"),
                        format!("{term} years"),
                        format!("{term_word} years"),
                    ],
                ),
                question(
                    "How much notice must a party give to terminate this supply agreement for convenience?",
                    &[
                        format!("{notice_word} ({notice}) days"),
                        format!("{notice} days"),
                        format!("{notice_word} days"),
                    ],
                ),
                question(
                    "What is the cap on the supplier's total liability under this agreement?",
                    &[cap.clone(), cap.replace(',', "")],
                ),
                question(
                    "Within how many days must the buyer pay an invoice under this agreement?",
                    &[
                        format!("{payment_word} ({payment}) days"),
                        format!("{payment} days"),
                        format!("{payment_word} days"),
                    ],
                ),
                question(
                    "Who is the supplier under this supply agreement?",
                    &[supplier.to_owned()],
                ),
            ];
            Contract {
                file_name: format!("supply-agreement-{i:02}-{slug}.md"),
                text,
                questions,
            }
        })
        .collect()
}

struct Terms<'a> {
    supplier: &'a str,
    buyer: &'a str,
    law: &'a str,
    effective: &'a str,
    term: (u32, &'a str),
    notice: (u32, &'a str),
    payment: (u32, &'a str),
    cap: &'a str,
    product: &'a str,
    /// Which of two wordings the clauses use.
    variant: usize,
}

fn agreement(t: &Terms) -> String {
    let Terms {
        supplier,
        buyer,
        law,
        effective,
        product,
        cap,
        ..
    } = t;
    let (term, term_word) = t.term;
    let (notice, notice_word) = t.notice;
    let (payment, payment_word) = t.payment;
    let term_clause = match t.variant {
        0 => format!(
            "This Agreement commences on the Effective Date and continues for an initial term \
             of {term_word} ({term}) years. It renews automatically for successive one-year \
             periods unless either party gives notice of non-renewal at least ninety days \
             before the end of the then-current term."
        ),
        _ => format!(
            "The initial term of this Agreement is {term_word} ({term}) years from the \
             Effective Date. Thereafter the Agreement renews for further periods of twelve \
             months each, unless a party objects in writing before the renewal date."
        ),
    };
    let termination_clause = match t.variant {
        0 => format!(
            "Either party may terminate this Agreement for convenience by giving the other \
             party not less than {notice_word} ({notice}) days' written notice. Either party \
             may terminate this Agreement with immediate effect if the other party commits a \
             material breach that is not remedied within twenty days of written notice."
        ),
        _ => format!(
            "This Agreement may be terminated for convenience by either party on \
             {notice_word} ({notice}) days' prior written notice to the other party. A party \
             in material breach has twenty days from written notice to remedy the breach \
             before the other party may terminate."
        ),
    };
    let payment_clause = match t.variant {
        0 => format!(
            "The Supplier shall invoice the Buyer on delivery. The Buyer shall pay each \
             undisputed invoice within {payment_word} ({payment}) days of receipt. Late \
             payments bear interest at two percent above the base rate."
        ),
        _ => format!(
            "Invoices are issued monthly in arrears and are payable within {payment_word} \
             ({payment}) days after the Buyer receives them. Disputed amounts shall be \
             notified within ten days of receipt of the invoice."
        ),
    };
    let liability_clause = match t.variant {
        0 => format!(
            "Except for liability for death or personal injury caused by negligence, fraud, or \
             breach of confidentiality, the Supplier's total aggregate liability arising out of \
             or in connection with this Agreement shall not exceed USD {cap}. Neither party is \
             liable for loss of profit or indirect or consequential loss."
        ),
        _ => format!(
            "The aggregate liability of the Supplier under or in connection with this Agreement, \
             whether in contract, tort or otherwise, is limited to USD {cap} in total. This \
             limit does not apply to fraud or to death or personal injury caused by negligence."
        ),
    };
    format!(
        "# Supply Agreement\n\n\
         This Supply Agreement (the \"Agreement\") is made and entered into as of {effective} \
         (the \"Effective Date\") by and between {supplier} (the \"Supplier\") and {buyer} \
         (the \"Buyer\").\n\n\
         ## 1. Supply of Products\n\n\
         The Supplier shall manufacture and supply {product} (the \"Products\") to the Buyer in \
         accordance with the purchase orders issued by the Buyer from time to time. Each \
         purchase order states the quantities, delivery dates and delivery locations. The \
         Supplier shall acknowledge each purchase order within three business days.\n\n\
         ## 2. Term\n\n{term_clause}\n\n\
         ## 3. Prices and Payment\n\n\
         Prices are set out in Schedule 1 and are fixed for the first contract year. \
         {payment_clause}\n\n\
         ## 4. Delivery and Acceptance\n\n\
         Delivery is made DAP to the location stated in the purchase order. The Buyer shall \
         inspect the Products within ten business days of delivery and may reject Products that \
         do not conform to the specifications. Rejected Products are replaced at the Supplier's \
         cost.\n\n\
         ## 5. Warranty\n\n\
         The Supplier warrants that the Products conform to the specifications and are free from \
         defects in materials and workmanship for twelve months from delivery.\n\n\
         ## 6. Limitation of Liability\n\n{liability_clause}\n\n\
         ## 7. Confidentiality\n\n\
         Each party shall keep confidential all information disclosed by the other party under \
         this Agreement and shall use it only to perform this Agreement. This obligation \
         survives termination for three years.\n\n\
         ## 8. Termination\n\n{termination_clause}\n\n\
         ## 9. Force Majeure\n\n\
         Neither party is liable for a failure or delay caused by events beyond its reasonable \
         control, provided that it notifies the other party promptly and uses reasonable \
         efforts to resume performance.\n\n\
         ## 10. Governing Law and Jurisdiction\n\n\
         This Agreement and any dispute arising out of it shall be governed by and construed in \
         accordance with the laws of {law}, and the courts of {law} have exclusive \
         jurisdiction.\n\n\
         ## 11. General\n\n\
         This Agreement is the entire agreement between the parties. No amendment is effective \
         unless it is in writing and signed by both parties. Neither party may assign this \
         Agreement without the prior written consent of the other party.\n\n\
         Signed for {supplier} and for {buyer}.\n"
    )
}
