//! `/api/v2/message`: an agent's reply (delivered to the chat server or mailed) or note, with
//! any files attached; and the agent's typing indicator, delivered to the chat server.

pub mod create;
pub mod typing;
