//! Chat templates: which one a model without its own gets, and the stop strings a borrowed
//! template needs.

/// Template used when neither the model file nor the config names one, and the model's
/// architecture has no template of its own family.
pub const FALLBACK_TEMPLATE: &str = "chatml";

/// The template for a model without one, by its architecture: a family's own turn markers
/// are tokens its vocabulary knows (Gemma's `<start_of_turn>`), so even a base model of the
/// family follows them; anything else gets [`FALLBACK_TEMPLATE`].
pub fn fallback_template(architecture: &str) -> &'static str {
    if architecture.starts_with("gemma") {
        "gemma"
    } else if architecture == "phi3" {
        "phi3"
    } else {
        FALLBACK_TEMPLATE
    }
}

/// Turn markers of a template that a model without that template in its vocabulary
/// writes as plain text: the answer ends there. (With its own template, a model ends its
/// turn with an end-of-generation token instead.)
pub(super) fn template_stops(name: &str) -> &'static [&'static str] {
    match name {
        "chatml" => &["<|im_end|>", "<|im_start|>"],
        _ => &[],
    }
}
