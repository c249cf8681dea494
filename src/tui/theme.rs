//! Colours: the terminal's own 16 ANSI colours (so the user's palette decides how they
//! look), or none at all for `mono` and `NO_COLOR`, where reverse, bold and underline
//! still tell things apart.

use kodiak::pii::PiiKind;
use ratatui::style::{Color, Modifier, Style};

use kodiak::config::Theme as ThemeName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub focused_border: Style,
    pub selected: Style,
    pub ok: Style,
    pub bad: Style,
    pub warn: Style,
    pub search_match: Style,
    pub current_match: Style,
    /// The sentence of a cited passage (or search hit) that answers or matches.
    pub cited: Style,
    /// The rest of that passage, shaded lighter.
    pub cited_passage: Style,
    pub citation: Style,
    pub selected_citation: Style,
    /// A sentence of an answer its sources do not bear out (a mark follows it too).
    pub unsupported: Style,
    pub status_bar: Style,
    pub key: Style,
    colour: bool,
}

impl Theme {
    /// The theme named in config, without colour when `no_color` (the `NO_COLOR`
    /// environment variable is set).
    pub fn new(name: ThemeName, no_color: bool) -> Theme {
        match (name, no_color) {
            (ThemeName::Mono, _) | (_, true) => Theme::mono(),
            (ThemeName::Dark, false) => Theme::ansi(Color::White, Color::DarkGray),
            (ThemeName::Light, false) => Theme::ansi(Color::Black, Color::Gray),
        }
    }

    fn ansi(text: Color, dim: Color) -> Theme {
        let bold = Modifier::BOLD;
        Theme {
            text: Style::new().fg(text),
            dim: Style::new().fg(dim),
            unsupported: Style::new().fg(dim).add_modifier(Modifier::ITALIC),
            title: Style::new().fg(Color::Cyan).add_modifier(bold),
            border: Style::new().fg(dim),
            focused_border: Style::new().fg(Color::Cyan),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            ok: Style::new().fg(Color::Green),
            bad: Style::new().fg(Color::Red).add_modifier(bold),
            warn: Style::new().fg(Color::Yellow),
            search_match: Style::new().fg(Color::Black).bg(Color::Yellow),
            current_match: Style::new()
                .fg(Color::Black)
                .bg(Color::LightYellow)
                .add_modifier(bold),
            cited: Style::new().bg(Color::Blue).fg(Color::White),
            cited_passage: Style::new().fg(Color::LightBlue),
            citation: Style::new().fg(Color::Cyan),
            selected_citation: Style::new().fg(Color::Black).bg(Color::Cyan),
            status_bar: Style::new().fg(Color::Black).bg(Color::Gray),
            key: Style::new().fg(Color::Yellow).add_modifier(bold),
            colour: true,
        }
    }

    fn mono() -> Theme {
        let plain = Style::new();
        Theme {
            text: plain,
            dim: plain,
            // Faint is an attribute, not a colour: NO_COLOR keeps it.
            unsupported: plain.add_modifier(Modifier::DIM | Modifier::ITALIC),
            title: plain.add_modifier(Modifier::BOLD),
            border: plain,
            focused_border: plain.add_modifier(Modifier::BOLD),
            selected: plain.add_modifier(Modifier::REVERSED),
            ok: plain,
            bad: plain.add_modifier(Modifier::BOLD),
            warn: plain.add_modifier(Modifier::BOLD),
            search_match: plain.add_modifier(Modifier::REVERSED),
            current_match: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            cited: plain.add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
            cited_passage: plain.add_modifier(Modifier::BOLD),
            citation: plain.add_modifier(Modifier::UNDERLINED),
            selected_citation: plain.add_modifier(Modifier::REVERSED),
            status_bar: plain.add_modifier(Modifier::REVERSED),
            key: plain.add_modifier(Modifier::BOLD),
            colour: false,
        }
    }

    /// Personal data, coloured by type so a glance tells emails from names.
    pub fn pii(&self, kind: &PiiKind) -> Style {
        if !self.colour {
            return Style::new().add_modifier(Modifier::UNDERLINED);
        }
        let colour = match kind {
            PiiKind::Person => Color::Magenta,
            PiiKind::EmailAddress => Color::LightBlue,
            PiiKind::PhoneNumber => Color::LightGreen,
            PiiKind::CreditCard | PiiKind::IbanCode | PiiKind::UsSsn | PiiKind::UkNino => {
                Color::LightRed
            }
            PiiKind::DateOfBirth => Color::LightMagenta,
            PiiKind::IpAddress => Color::LightCyan,
            PiiKind::Custom(_) => Color::Yellow,
        };
        Style::new().fg(colour).add_modifier(Modifier::UNDERLINED)
    }
}
