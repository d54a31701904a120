//! Ways in besides the Omnidesk chat API, each turning what it receives into the same service
//! calls: `email` (raw messages, from the inbound endpoint or an IMAP mailbox) and `jivochat`
//! (JivoChat's webhooks).

pub mod email;
pub mod jivochat;
