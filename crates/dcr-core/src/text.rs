//! Characters in stored strings. Every string is bounded and free of control
//! characters (Postgres refuses NUL in text, and none has a place in
//! metadata). Text a person will read on a consent page, in a dashboard or in
//! a log viewer (`client_name`, `contacts`, `software_id`, ...) must also show
//! what it holds: no character that is invisible, reorders what follows it
//! (the "Trojan Source" bidi trick, CVE-2021-42574) or renders as nothing.
//! Names are stored in Unicode Normalization Form C, so two spellings of one
//! name are one string.

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::{IsNormalized, is_nfc_quick};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

use crate::error::{CharClass, Problem};

/// Any string the server stores: bounded, without control characters.
pub(crate) fn check_stored(text: &str, max_length: usize) -> Result<(), Problem> {
    if text.len() > max_length {
        return Err(Problem::TooLong { max: max_length });
    }
    match text.chars().find(|c| c.is_control()) {
        Some(code_point) => Err(Problem::Character {
            code_point,
            class: CharClass::Control,
        }),
        None => Ok(()),
    }
}

/// Text a person reads: every character must show.
pub(crate) fn check_readable(text: &str) -> Result<(), Problem> {
    for code_point in text.chars() {
        if let Some(class) = hidden_class(code_point) {
            return Err(Problem::Character { code_point, class });
        }
    }
    Ok(())
}

/// A name as stored: in NFC, and within the length limit once normalised
/// (composition rarely grows a string, but can).
pub(crate) fn normalize_name(text: &str, max_length: usize) -> Result<String, Problem> {
    let normalized = match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => text.to_owned(),
        _ => text.nfc().collect(),
    };
    if normalized.len() > max_length {
        return Err(Problem::TooLong { max: max_length });
    }
    Ok(normalized)
}

/// Why a character must not appear in readable text, if it must not.
pub(crate) fn hidden_class(c: char) -> Option<CharClass> {
    if c.is_ascii() {
        // Printable ASCII shows; the rest of ASCII is control characters.
        return c.is_ascii_control().then_some(CharClass::Control);
    }
    if u32::from(c) < 0x800 {
        return hidden_class_below_u0800(c);
    }
    general_rule(c)
}

/// The rule for any character: its general category, then the code points
/// Unicode sets apart as noncharacters or default-ignorable.
fn general_rule(c: char) -> Option<CharClass> {
    let by_category = match c.general_category() {
        GeneralCategory::Control => Some(CharClass::Control),
        GeneralCategory::Format => Some(CharClass::Format),
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
            Some(CharClass::Separator)
        }
        GeneralCategory::PrivateUse => Some(CharClass::PrivateUse),
        _ => None,
    };
    by_category
        .or_else(|| is_noncharacter(c).then_some(CharClass::Noncharacter))
        .or_else(|| is_other_default_ignorable(c).then_some(CharClass::DefaultIgnorable))
}

/// [`hidden_class`] for the two-byte UTF-8 range (Latin, Greek, Cyrillic,
/// Armenian, Hebrew, Arabic, Syriac...), where names are most often written:
/// the few refused code points there, without a table search per character.
/// A test holds it equal to the general rule for every code point it covers.
fn hidden_class_below_u0800(c: char) -> Option<CharClass> {
    match u32::from(c) {
        0x80..=0x9F => Some(CharClass::Control),
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F => Some(CharClass::Format),
        0x34F => Some(CharClass::DefaultIgnorable),
        _ => None,
    }
}

/// U+FDD0..U+FDEF and the last two code points of every plane.
fn is_noncharacter(c: char) -> bool {
    let code = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// Default_Ignorable_Code_Point (Unicode DerivedCoreProperties) beyond
/// category Cf, which is refused whole: Other_Default_Ignorable_Code_Point
/// and the variation selectors.
fn is_other_default_ignorable(c: char) -> bool {
    matches!(
        u32::from(c),
        0x034F
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180D
            | 0x180F
            | 0x2065
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0xE0000..=0xE0FFF
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn refused(code_point: char, class: CharClass) -> Result<(), Problem> {
        Err(Problem::Character { code_point, class })
    }

    /// One case per class of the rule, with the code point the error names.
    #[test]
    fn readable_text_refuses_what_does_not_show() {
        let cases: Vec<(&str, Result<(), Problem>)> = vec![
            ("Claude", Ok(())),
            ("Claude Code (memory)", Ok(())),
            ("クロード", Ok(())),
            ("Visual Studio Code – Insiders", Ok(())),
            ("Zoë Ω ß ﬁ", Ok(())),
            ("مرحبا", Ok(())),
            ("😀 agent", Ok(())),
            ("a\u{0}b", refused('\u{0}', CharClass::Control)),
            ("a\u{1b}[31m", refused('\u{1b}', CharClass::Control)),
            ("a\u{7f}", refused('\u{7f}', CharClass::Control)),
            ("a\u{85}", refused('\u{85}', CharClass::Control)),
            (
                "evil\u{202E}cod.exe",
                refused('\u{202E}', CharClass::Format),
            ),
            ("a\u{202A}", refused('\u{202A}', CharClass::Format)),
            ("a\u{2066}b\u{2069}", refused('\u{2066}', CharClass::Format)),
            ("a\u{2069}", refused('\u{2069}', CharClass::Format)),
            ("Cla\u{200B}ude", refused('\u{200B}', CharClass::Format)),
            ("Cla\u{200D}ude", refused('\u{200D}', CharClass::Format)),
            ("Cla\u{FEFF}ude", refused('\u{FEFF}', CharClass::Format)),
            ("Cla\u{AD}ude", refused('\u{AD}', CharClass::Format)),
            ("a\u{061C}", refused('\u{061C}', CharClass::Format)),
            ("a\u{E0041}", refused('\u{E0041}', CharClass::Format)),
            ("a\u{2028}b", refused('\u{2028}', CharClass::Separator)),
            ("a\u{2029}b", refused('\u{2029}', CharClass::Separator)),
            ("a\u{E000}", refused('\u{E000}', CharClass::PrivateUse)),
            ("a\u{F8FF}", refused('\u{F8FF}', CharClass::PrivateUse)),
            ("a\u{10FFFD}", refused('\u{10FFFD}', CharClass::PrivateUse)),
            ("a\u{FDD0}", refused('\u{FDD0}', CharClass::Noncharacter)),
            ("a\u{FFFE}", refused('\u{FFFE}', CharClass::Noncharacter)),
            ("a\u{1FFFF}", refused('\u{1FFFF}', CharClass::Noncharacter)),
            (
                "Cla\u{34F}ude",
                refused('\u{34F}', CharClass::DefaultIgnorable),
            ),
            (
                "a\u{FE0F}",
                refused('\u{FE0F}', CharClass::DefaultIgnorable),
            ),
            (
                "a\u{180B}",
                refused('\u{180B}', CharClass::DefaultIgnorable),
            ),
            (
                "a\u{3164}",
                refused('\u{3164}', CharClass::DefaultIgnorable),
            ),
            (
                "a\u{E0100}",
                refused('\u{E0100}', CharClass::DefaultIgnorable),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(check_readable(text), expected, "{text:?}");
        }
    }

    #[test]
    fn stored_text_is_bounded_and_free_of_control_characters() {
        assert_eq!(check_stored("abc", 3), Ok(()));
        assert_eq!(check_stored("abcd", 3), Err(Problem::TooLong { max: 3 }));
        assert_eq!(check_stored("a\u{202E}", 10), Ok(()));
        assert_eq!(check_stored("a\nb", 10), refused('\n', CharClass::Control));
    }

    #[test]
    fn names_are_stored_in_nfc() {
        // "é" as e + combining acute becomes the one precomposed character.
        assert_eq!(
            normalize_name("Caf\u{65}\u{301}", 100).unwrap(),
            "Caf\u{e9}"
        );
        assert_eq!(normalize_name("Claude", 100).unwrap(), "Claude");
        assert_eq!(normalize_name("Ω", 100).unwrap(), "Ω");
        // U+212B ANGSTROM SIGN is U+00C5 in NFC.
        assert_eq!(normalize_name("\u{212B}", 100).unwrap(), "\u{C5}");
        assert_eq!(
            normalize_name("e\u{301}e\u{301}", 3),
            Err(Problem::TooLong { max: 3 })
        );
    }

    #[test]
    fn the_description_names_the_code_point_without_echoing_it() {
        let problem = check_readable("a\u{202E}b").unwrap_err();
        let description = problem.to_string();
        assert!(description.contains("U+202E"), "{description}");
        assert!(description.is_ascii(), "{description}");
    }

    /// The fast path below U+0800 says what the general categories say.
    #[test]
    fn the_two_byte_range_follows_the_general_rule() {
        for code in 0x80u32..0x800 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            assert_eq!(hidden_class(c), general_rule(c), "U+{code:04X}");
        }
    }

    proptest! {
        /// Accepted text holds no character of a refused class.
        #[test]
        fn accepted_text_has_no_hidden_character(text in any::<String>()) {
            if check_readable(&text).is_ok() {
                prop_assert!(text.chars().all(|c| hidden_class(c).is_none()));
                prop_assert!(!text.chars().any(char::is_control));
            }
        }
    }
}
