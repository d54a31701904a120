//! E-mail in: `parse` turns a raw message into a [`ReceivedMail`](crate::services::inbound_mail::ReceivedMail);
//! `imap` polls a mailbox and hands each new message to the same service the inbound
//! endpoint calls.

pub mod imap;
pub mod parse;
