//! Finding a known client's name, alias or vendor inside a client's name, as
//! whole words: "Official Claude Connector" names Claude, "Claudette's
//! Notes" does not. Both sides are cut into words and each word folded (case,
//! and the UTS #39 skeleton for letters that look alike); a known term is
//! found where the folded words of a run, joined without their separators,
//! spell it. So "Claude.ai", "C l a u d e", "VSCode" and "VS-Code" meet the
//! terms "Claude.ai", "Claude" and "VS Code".
//!
//! Cost: the terms are a trie of their joined folded words. Each word of the
//! name starts at most one walk down it, two folds each, and a walk ends at
//! the trie's depth (the longest term, a bounded name), so finding is linear
//! in the name's length whatever the number of terms.

use std::collections::HashMap;

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory as _};
use unicode_security::confusable_detection::skeleton;

/// One word of a name: a run of letters, marks and digits. A lower-case
/// letter followed by a capital ("ClaudeConnector") and a switch between
/// letters and digits ("Claude3") also end a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    /// Lower-cased: a known term spelled out.
    lower: String,
    /// The UTS #39 skeleton, case folded two ways: lower-cased first
    /// (Cyrillic `С` and Latin `c` meet only in lower case), and skeleton
    /// first (a capital `I` folds to `l` only before lower-casing makes it
    /// `i`).
    looks: [String; 2],
}

impl Word {
    fn of(text: &str) -> Self {
        let fold = skeleton_of;
        let lower = text.to_lowercase();
        Self {
            looks: [fold(&lower), fold(&fold(text).to_lowercase())],
            lower,
        }
    }
}

/// The UTS #39 skeleton of `text`. Names are mostly ASCII, and an ASCII
/// text's skeleton is its characters' skeletons in a row (nothing to
/// decompose, and no character's skeleton starts with a combining mark to
/// reorder: the tests check both), looked up in a table made once; the
/// consent signals of every verify call fold the client's name.
fn skeleton_of(text: &str) -> String {
    if !text.is_ascii() {
        return skeleton(text).collect();
    }
    let table = ascii_skeletons();
    text.bytes()
        .map(|byte| table[usize::from(byte)].as_str())
        .collect()
}

fn ascii_skeletons() -> &'static [String; 128] {
    static TABLE: std::sync::OnceLock<[String; 128]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|byte| {
            let c = u8::try_from(byte).map_or('\0', char::from);
            skeleton(c.encode_utf8(&mut [0; 4])).collect()
        })
    })
}

/// A letter, mark or digit. In ASCII those are exactly the letters and
/// digits, answered without the category tables (a test checks all 128).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    matches!(
        c.general_category_group(),
        GeneralCategoryGroup::Letter | GeneralCategoryGroup::Mark | GeneralCategoryGroup::Number
    )
}

fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    c.general_category_group() == GeneralCategoryGroup::Number
}

/// Whether a word ends between `previous` and `next`, both word characters.
fn splits(previous: char, next: char) -> bool {
    (previous.is_lowercase() && next.is_uppercase()) || is_digit(previous) != is_digit(next)
}

/// The words of `text`, in order. Separators (spaces, punctuation,
/// symbols) are dropped; a word that folds to nothing is too.
pub(super) fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        if !is_word_char(c) {
            if let Some(from) = start.take() {
                words.push(Word::of(&text[from..at]));
            }
        } else if let Some(from) = start {
            if previous.is_some_and(|p| p != c && splits(p, c)) {
                words.push(Word::of(&text[from..at]));
                start = Some(at);
            }
        } else {
            start = Some(at);
        }
        previous = Some(c);
    }
    if let Some(from) = start {
        words.push(Word::of(&text[from..]));
    }
    words.retain(|word| word.looks.iter().all(|looks| !looks.is_empty()));
    words
}

/// A term spelled out: its words lower-cased and joined. Two terms with one
/// key are one term to a reader.
pub(super) fn key(text: &str) -> String {
    words(text).into_iter().map(|word| word.lower).collect()
}

/// The terms to find, each with what it stands for (`T`).
#[derive(Debug, Clone)]
pub(super) struct Lexicon<T> {
    /// Trie edges: (node, next character) to node; the root is node 0.
    edges: HashMap<(u32, char), u32>,
    nodes: u32,
    /// The terms that end at a node.
    ends: HashMap<u32, Vec<usize>>,
    terms: Vec<(String, T)>,
}

impl<T> Default for Lexicon<T> {
    fn default() -> Self {
        Self {
            edges: HashMap::new(),
            nodes: 1,
            ends: HashMap::new(),
            terms: Vec::new(),
        }
    }
}

/// A term found in a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found<T> {
    pub(super) what: T,
    /// Spelled out, letter for letter once case and separators are set
    /// aside; otherwise only its look is there ("C1aude", "Сlaude").
    pub(super) spelled: bool,
}

impl<T: Copy> Lexicon<T> {
    /// Adds `text` (a bounded known term) as standing for `what`.
    pub(super) fn insert(&mut self, text: &str, what: T) {
        let words = words(text);
        if words.is_empty() {
            return;
        }
        let id = self.terms.len();
        self.terms
            .push((words.iter().map(|word| word.lower.as_str()).collect(), what));
        for fold in 0..2 {
            let mut node = 0;
            for c in words.iter().flat_map(|word| word.looks[fold].chars()) {
                node = *self.edges.entry((node, c)).or_insert_with(|| {
                    self.nodes += 1;
                    self.nodes - 1
                });
            }
            let ends = self.ends.entry(node).or_default();
            if !ends.contains(&id) {
                ends.push(id);
            }
        }
    }

    /// The terms `name` holds as words, left to right. Where terms of
    /// several lengths start at one word, the longest is taken and its
    /// words are not searched again: "Claude Code" is Claude Code, not
    /// also Claude.
    pub(super) fn find(&self, name: &str) -> Vec<Found<T>> {
        let words = words(name);
        let mut found = Vec::new();
        let mut start = 0;
        while start < words.len() {
            let Some((end, ids)) = self.longest_from(&words[start..]) else {
                start += 1;
                continue;
            };
            let end = start + end;
            let spelled: String = words[start..=end]
                .iter()
                .map(|word| word.lower.as_str())
                .collect();
            found.extend(ids.into_iter().map(|id| {
                let (key, what) = &self.terms[id];
                Found {
                    what: *what,
                    spelled: *key == spelled,
                }
            }));
            start = end + 1;
        }
        found
    }

    /// The terms of the longest run of `words` from the first that spells
    /// one (in either fold), with the run's last word's index.
    fn longest_from(&self, words: &[Word]) -> Option<(usize, Vec<usize>)> {
        let mut best: Option<(usize, Vec<usize>)> = None;
        for fold in 0..2 {
            let mut node = 0;
            'walk: for (end, word) in words.iter().enumerate() {
                for c in word.looks[fold].chars() {
                    match self.edges.get(&(node, c)) {
                        Some(&next) => node = next,
                        None => break 'walk,
                    }
                }
                let Some(ids) = self.ends.get(&node) else {
                    continue;
                };
                match &mut best {
                    Some((best_end, best_ids)) if *best_end == end => {
                        for id in ids {
                            if !best_ids.contains(id) {
                                best_ids.push(*id);
                            }
                        }
                    }
                    Some((best_end, _)) if *best_end > end => {}
                    _ => best = Some((end, ids.clone())),
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_words_end() {
        let cases: [(&str, &[&str]); 10] = [
            ("Claude", &["claude"]),
            ("Claude (official)", &["claude", "official"]),
            ("C l a-u.d_e", &["c", "l", "a", "u", "d", "e"]),
            ("Claudette's Notes", &["claudette", "s", "notes"]),
            // A capital after a small letter, and digits, start words; a
            // run of capitals does not.
            ("ClaudeConnector", &["claude", "connector"]),
            ("VSCode", &["vscode"]),
            ("ChatGPT4o", &["chat", "gpt", "4", "o"]),
            // Marks stay in their word; symbols separate.
            ("Zoe\u{301}😀Agent", &["zoe\u{301}", "agent"]),
            ("Агент 007", &["агент", "007"]),
            ("--", &[]),
        ];
        for (text, expected) in cases {
            let found: Vec<String> = words(text).into_iter().map(|word| word.lower).collect();
            assert_eq!(found, expected, "{text}");
        }
    }

    proptest::proptest! {
        /// A term set among other words is found there, spelled, whatever
        /// it is.
        #[test]
        fn a_term_is_found_among_other_words(term in "[A-Za-z0-9\u{421}\u{430} .'_-]{1,30}") {
            let mut lexicon = Lexicon::default();
            lexicon.insert(&term, ());
            let name = format!("Acme {term} Connector");
            let found = lexicon.find(&name);
            proptest::prop_assert_eq!(
                found.iter().any(|found| found.spelled),
                !key(&term).is_empty()
            );
            proptest::prop_assert!(found.len() <= words(&name).len());
        }
    }

    /// The ASCII table gives what the full skeleton gives: every pair of
    /// ASCII characters (where a reordering across the seam would show),
    /// and below, any ASCII text.
    #[test]
    fn ascii_skeletons_are_the_full_skeletons() {
        for first in 0..128_u8 {
            for second in 0..128_u8 {
                let text: String = [char::from(first), char::from(second)]
                    .into_iter()
                    .collect();
                assert_eq!(
                    skeleton_of(&text),
                    skeleton(&text).collect::<String>(),
                    "{text:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn ascii_texts_fold_as_the_full_skeleton(text in "[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(skeleton_of(&text), skeleton(&text).collect::<String>());
        }
    }

    /// The ASCII shortcuts answer as the category tables do, for every
    /// ASCII character.
    #[test]
    fn ascii_word_characters_are_the_tables_letters_marks_and_digits() {
        for byte in 0..128_u8 {
            let c = char::from(byte);
            let group = c.general_category_group();
            assert_eq!(
                is_word_char(c),
                matches!(
                    group,
                    GeneralCategoryGroup::Letter
                        | GeneralCategoryGroup::Mark
                        | GeneralCategoryGroup::Number
                ),
                "{c:?}"
            );
            assert_eq!(is_digit(c), group == GeneralCategoryGroup::Number, "{c:?}");
        }
    }

    #[test]
    fn keys_drop_case_and_separators() {
        assert_eq!(key("VS Code"), "vscode");
        assert_eq!(key("Claude.ai"), "claudeai");
        assert_eq!(key("Open-AI"), "openai");
    }
}
