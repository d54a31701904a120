//! What an e-mail's text and headers mean for a ticket: the `[#42]` in a subject, the key of
//! a `Message-ID`, and where a reply's quoted history begins.

use std::sync::LazyLock;

use regex::Regex;

static TICKET_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[#(\d{1,18})\]").expect("a valid pattern"));

/// The lines mail programs write above the text they quote: "On … wrote:" (Thunderbird,
/// Gmail, Apple Mail, in several languages), Outlook's "-----Original Message-----" and its
/// "From: …" block after a rule.
static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(
            (On|Am|Le|El|Il|Op|Em)\s.{4,200}(wrote|schrieb|a\ écrit|escribió|ha\ scritto|schreef|escreveu)\s*:
          | -{2,}\s*(Original\ Message|Ursprüngliche\ Nachricht|Message\ d'origine)\s*-{2,}
          | _{8,}
        )\s*$",
    )
    .expect("a valid pattern")
});

/// The ticket a subject names, as omnibridge writes it in its mails: `… [#42]`.
pub fn ticket_tag(subject: &str) -> Option<i64> {
    TICKET_TAG
        .captures_iter(subject)
        .last()
        .and_then(|c| c[1].parse().ok())
}

/// A `Message-ID` without its angle brackets, as stored.
pub fn bare_message_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

/// The part of a `Message-ID` before its `@`: what omnibridge keeps of its own mails' ids.
pub fn message_id_key(id: &str) -> &str {
    id.rsplit_once('@').map_or(id, |(key, _)| key)
}

/// Where a reply's quoted history begins, in characters: at the attribution line above it
/// ("On … wrote:"), or else at the block of `>` lines that ends the text. `None` when the
/// text quotes nothing (or is nothing but quotes: then it all stays in view).
pub fn quote_start(text: &str) -> Option<usize> {
    let mut offset = 0; // in bytes
    let mut starts = Vec::new();
    for line in text.split_inclusive('\n') {
        starts.push((offset, line.trim_end()));
        offset += line.len();
    }
    let byte = starts
        .iter()
        .find(|(_, line)| ATTRIBUTION.is_match(line))
        .map(|(at, _)| *at)
        .or_else(|| {
            // The last lines, quoted ones and blank ones, back to the first quoted line.
            let mut first_quoted = None;
            for (at, line) in starts.iter().rev() {
                if line.starts_with('>') {
                    first_quoted = Some(*at);
                } else if !line.trim().is_empty() {
                    break;
                }
            }
            first_quoted
        })?;
    let before = &text[..byte];
    if before.trim().is_empty() {
        return None;
    }
    Some(before.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_ticket_tag_in_a_subject_counts() {
        assert_eq!(ticket_tag("Re: Your chat with Acme [#42]"), Some(42));
        assert_eq!(ticket_tag("Fwd: [#1] and then [#7]"), Some(7));
        assert_eq!(ticket_tag("Order #42"), None);
        assert_eq!(ticket_tag("[#99999999999999999999]"), None);
    }

    #[test]
    fn message_ids_lose_brackets_and_keep_their_key() {
        assert_eq!(bare_message_id(" <a.b@c.d> "), "a.b@c.d");
        assert_eq!(
            message_id_key("ticket-4.ab12@acme.example"),
            "ticket-4.ab12"
        );
        assert_eq!(message_id_key("no-domain"), "no-domain");
    }

    #[test]
    fn the_quoted_history_starts_at_its_attribution_or_its_quote_block() {
        let text = "Thanks, that works.\n\nOn 30/11/2026 10:12, Acme Support wrote:\n> Try again\n";
        let at = quote_start(text).unwrap();
        assert_eq!(&text[..at], "Thanks, that works.\n\n");
        let outlook = "Fine.\r\n-----Original Message-----\r\nFrom: x\r\n";
        assert_eq!(quote_start(outlook), Some(7));
        let bare = "Yes.\n> did it work?\n>\n\n";
        assert_eq!(quote_start(bare), Some(5));
        let unicode = "Grüße\n> q\n";
        assert_eq!(quote_start(unicode), Some(6));
        assert_eq!(quote_start("> only a quote\n"), None);
        assert_eq!(quote_start("No quote at all.\nReally > not.\n"), None);
        assert_eq!(quote_start("> a quote\nthen an answer below it\n"), None);
    }
}
